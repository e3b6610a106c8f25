/**
 * PCI addresses as sysfs spells them: `0000:01:00.0` (domain, bus, device, function; lowercase
 * hex; a four-digit domain, longer only when the domain needs it, as on VMD hosts).
 *
 * nvidia-smi prints an eight-digit domain in upper case (`00000000:01:00.0`), and the kernel's
 * Xid lines leave the function out (`PCI:0000:01:00`); both come here to meet the sysfs form.
 */

const PCI_ADDRESS = /^(?:PCI:)?(?:([0-9a-f]{1,8}):)?([0-9a-f]{1,2}):([0-9a-f]{1,2})(?:\.([0-7]))?$/i;

/** Thrown for a string that is not a PCI address in any form this module knows. */
export class PciAddressError extends Error {
  constructor(readonly input: string) {
    super(`not a PCI address: ${JSON.stringify(input)} (expected e.g. 0000:01:00.0)`);
    this.name = "PciAddressError";
  }
}

/**
 * `00000000:3B:00.0`, `0000:3b:00`, `PCI:0000:3b:00`, `3b:00.0` → `0000:3b:00.0`.
 * A missing domain is 0, a missing function is 0. Throws a PciAddressError otherwise.
 */
export function normalizePciAddress(input: string): string {
  const match = PCI_ADDRESS.exec(input.trim());
  if (!match) throw new PciAddressError(input);
  const [, domain = "0", bus = "", device = "", fn = "0"] = match;
  const hex = (value: string, width: number) => Number.parseInt(value, 16).toString(16).padStart(width, "0");
  return `${hex(domain, 4)}:${hex(bus, 2)}:${hex(device, 2)}.${fn}`;
}

/** Like normalizePciAddress, but null instead of throwing. */
export function tryNormalizePciAddress(input: string): string | null {
  try {
    return normalizePciAddress(input);
  } catch {
    return null;
  }
}

/** The slot of an address without its function: `0000:01:00.1` → `0000:01:00`. */
export function pciSlot(address: string): string {
  const normalized = normalizePciAddress(address);
  return normalized.slice(0, normalized.lastIndexOf("."));
}

/** The function number of an address: `0000:01:00.1` → 1. */
export function pciFunction(address: string): number {
  const normalized = normalizePciAddress(address);
  return Number(normalized.slice(normalized.lastIndexOf(".") + 1));
}

/** Sorts addresses by domain, bus, device and function (the order `lspci` lists them in). */
export function comparePciAddresses(a: string, b: string): number {
  const key = (address: string) =>
    normalizePciAddress(address)
      .split(/[:.]/)
      .map((part) => Number.parseInt(part, 16));
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) {
    const diff = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}
