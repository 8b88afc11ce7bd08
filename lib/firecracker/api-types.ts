/**
 * The Firecracker v1.7.0 API bodies this project sends and reads, typed after the spec's
 * definitions (firecracker-v1.7.0-api.yaml). Field names are the wire names.
 */

/** GET / — InstanceInfo. */
export interface InstanceInfo {
  id: string;
  state: 'Not started' | 'Running' | 'Paused';
  vmm_version: string;
  app_name: string;
}

/** PUT/GET /machine-config — MachineConfiguration. */
export interface MachineConfiguration {
  vcpu_count: number;
  mem_size_mib: number;
  smt?: boolean;
  track_dirty_pages?: boolean;
  huge_pages?: 'None' | '2M';
  cpu_template?: string;
}

/** PUT /boot-source — BootSource. */
export interface BootSource {
  kernel_image_path: string;
  boot_args?: string;
  initrd_path?: string;
}

/** PUT /drives/{drive_id} — Drive (virtio-block fields only). */
export interface Drive {
  drive_id: string;
  is_root_device: boolean;
  path_on_host: string;
  is_read_only?: boolean;
  partuuid?: string;
  cache_type?: 'Unsafe' | 'Writeback';
  io_engine?: 'Sync' | 'Async';
}

/** PUT /network-interfaces/{iface_id} — NetworkInterface. */
export interface NetworkInterface {
  iface_id: string;
  host_dev_name: string;
  guest_mac?: string;
}

/** PUT /logger — Logger. Level names are matched case-insensitively by Firecracker. */
export interface LoggerConfig {
  log_path?: string;
  level?: 'Error' | 'Warning' | 'Info' | 'Debug' | 'Trace' | 'Off';
  show_level?: boolean;
  show_log_origin?: boolean;
  module?: string;
}

/** PUT /actions — InstanceActionInfo. */
export type ActionType = 'InstanceStart' | 'SendCtrlAltDel' | 'FlushMetrics';

/** The default boot arguments: serial console on ttyS0, reboot ends the VMM, no PCI. */
export const DEFAULT_BOOT_ARGS = 'console=ttyS0 reboot=k panic=1 pci=off';

/** The Firecracker version this project pins. */
export const PINNED_FIRECRACKER_VERSION = '1.7.0';
