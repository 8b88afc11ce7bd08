/**
 * What to do next for the Firecracker faults an operator meets, matched on the fault_message
 * texts of v1.7.0. The first matching row wins; null when nothing specific is known.
 */
const ROWS: ReadonlyArray<readonly [RegExp, string]> = [
  [
    /Error creating KVM object/,
    'The firecracker process cannot open /dev/kvm. Give its user access: `setfacl -m u:$USER:rw /dev/kvm` or add it to the kvm group; run `octolab-verify doctor`.',
  ],
  [/Cannot open the VM file descriptor/, 'KVM_CREATE_VM failed: another hypervisor may hold VT-x, or nested virtualisation is off. Run `octolab-verify doctor`.'],
  [/kernel file cannot be opened/, 'Check OCTOLAB_MICROVM_KERNEL_PATH: the file must exist and be readable by the firecracker process.'],
  [/initrd file cannot be opened/, 'Check the initrd path: the file must exist and be readable.'],
  [/Cannot load kernel|invalid kernel image/, 'The kernel is not a loadable vmlinux (x86_64 needs an uncompressed ELF); use a Firecracker CI kernel.'],
  [/BackingFile/, 'The drive file could not be opened read-write; check the lab copy of the rootfs and the state directory permissions.'],
  [/A root block device already exists/, 'Only one drive may be the root device; the drive ids must match between calls.'],
  [/TapOpen\(IoctlError\(Os \{ code: 1,/, "The TAP belongs to another user: start microvm-netd with --tap-owner <uid that runs firecracker> (id -u), or run firecracker as the TAP's owner."],
  [/Could not create the network device|TapOpen/, 'The TAP device could not be opened: check that microvm-netd created it and that it is not used by another VM.'],
  [/Logger error/, 'The log file must exist before PUT /logger (Firecracker opens, never creates it).'],
  [/Machine config error: The number of vCPUs/, 'Set OCTOLAB_MICROVM_VCPU_COUNT to 1 or an even number from 2 to 32.'],
  [/Machine config error: The memory size/, 'Set OCTOLAB_MICROVM_MEM_SIZE_MIB to a positive number of MiB (even with 2M huge pages).'],
  [/not supported after starting the microVM/, 'The microVM is already running: this call is pre-boot only. Start a new firecracker process to reconfigure.'],
  [/not supported before starting the microVM/, 'This call is post-boot only: send InstanceStart first.'],
  [/Empty PUT request|Empty PATCH request/, 'The body arrived empty: send it with Content-Length (Firecracker does not decode chunked bodies).'],
  [/deserializing the json body/, 'The body does not match the v1.7.0 API: check field names and types against the spec.'],
];

/** Returns the hint for a fault_message, or null. */
export function hintForFault(faultMessage: string): string | null {
  return ROWS.find(([pattern]) => pattern.test(faultMessage))?.[1] ?? null;
}
