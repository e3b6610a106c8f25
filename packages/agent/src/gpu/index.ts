/** GPUs of an `ocs agent` host: inventory, health, Xid events, and VFIO passthrough. */
export { GpuInventory, type GpuDevice, type GpuInventoryOptions } from "./inventory.js";
export { DEFAULT_TEMPERATURE_LIMIT_C, gpuHealth, type GpuHealth, type GpuHealthInput, type HealthLimits } from "./health.js";
export { gpuTypeOf, NVIDIA_DEVICE_NAMES, nvidiaDeviceName, RTX_4090_48G_MIN_MB, type GpuModel } from "./models.js";
export {
  DEFAULT_NVIDIA_SMI,
  DEFAULT_NVIDIA_SMI_TIMEOUT_MS,
  NVIDIA_SMI_ARGS,
  NVIDIA_SMI_FIELDS,
  NvidiaSmiError,
  parseField,
  parseNumber,
  parseNvidiaSmiCsv,
  parseNvidiaSmiLine,
  queryGpus,
  type GpuReading,
  type NvidiaSmiOptions,
  type NvidiaSmiParse,
} from "./nvidia-smi.js";
export { comparePciAddresses, normalizePciAddress, PciAddressError, pciFunction, pciSlot, tryNormalizePciAddress } from "./pci.js";
export {
  GPU_CLASSES,
  isPciBridge,
  isVfioDriver,
  NVIDIA_VENDOR_ID,
  PciSysfs,
  VFIO_PCI_DRIVER,
  type PciDeviceInfo,
  type SysfsOptions,
  type VfioReadiness,
} from "./sysfs.js";
export { assertPassthroughReady, checkPassthrough, vfioDeviceArgs, VfioNotReadyError, type PassthroughCheck, type VfioArgsOptions } from "./vfio.js";
export {
  describeXid,
  FATAL_XIDS,
  isFatalXid,
  parseXidLine,
  parseXids,
  XidWatcher,
  type SeenXid,
  type XidEvent,
  type XidSourceStatus,
  type XidWatcherOptions,
} from "./xid.js";
