/** Types of scripts/built.cjs (plain CommonJS: launchers run it before anything is built). */
export declare const PACKAGE_ROOT: string;
export declare const DIST_DIR: string;
export declare const STAMP_FILE: string;
export declare const EXIT_STALE_BUILD: 78;
export declare function findStaleInput(): string | null;
export declare function ensureBuilt(): Promise<{ rebuilt: boolean; reason: string | null; durationMs: number }>;
export declare function loadBuilt(name: string, options?: { program?: string; announce?: boolean }): Promise<Record<string, unknown>>;
export declare function requireBuilt(file: string, options?: { program?: string; announce?: boolean }): Promise<Record<string, unknown>>;
