/** Types of scripts/build.mjs (plain JavaScript: it runs before anything is built). */
export declare function buildAll(): Promise<{ inputs: number; outputs: number; durationMs: number }>;
export declare function describeBuildError(error: unknown): string;
export declare function useBuiltinModule(code: string): string;
export declare function toCommonJs(code: string, file: string): Promise<string>;
