/**
 * One nvidia-smi query for every GPU the NVIDIA driver owns, parsed into GpuReadings.
 *
 * GPUs bound to vfio-pci (given, or ready to be given, to a guest) are not the driver's, so
 * nvidia-smi does not list them; `sysfs.ts` finds those. A host without the binary has no
 * NVIDIA GPUs as far as this module is concerned: the query returns an empty list.
 */
import { execFile, type ExecFileException } from "node:child_process";
import { tryNormalizePciAddress } from "./pci.js";

/** The fields asked of nvidia-smi, in the order its CSV prints them. */
export const NVIDIA_SMI_FIELDS = [
  "index",
  "pci.bus_id",
  "uuid",
  "name",
  "memory.total",
  "memory.used",
  "utilization.gpu",
  "utilization.memory",
  "temperature.gpu",
  "ecc.errors.uncorrected.volatile.total",
  "power.draw",
] as const;

/** The complete argument list: `--query-gpu=…` and `--format=csv,noheader,nounits`. */
export const NVIDIA_SMI_ARGS: readonly string[] = [
  `--query-gpu=${NVIDIA_SMI_FIELDS.join(",")}`,
  "--format=csv,noheader,nounits",
];

export const DEFAULT_NVIDIA_SMI = "nvidia-smi";
export const DEFAULT_NVIDIA_SMI_TIMEOUT_MS = 15_000;

/** One GPU as nvidia-smi saw it. Null: the field was `[N/A]`, `[Not Supported]` or an error. */
export interface GpuReading {
  /** nvidia-smi's index (its enumeration order, not stable across driver reloads). */
  index: number;
  /** The sysfs form: `0000:01:00.0`. */
  pciAddress: string;
  uuid: string;
  name: string;
  /** MiB, as nvidia-smi counts them (24564 for a 24 GB RTX 4090). */
  memoryTotalMb: number;
  memoryUsedMb: number | null;
  /** Percent. */
  utilGpu: number | null;
  /** Percent of time the memory was read or written. */
  utilMemory: number | null;
  temperatureC: number | null;
  /** Uncorrected ECC errors since the driver loaded; null where ECC is off or absent (GeForce). */
  eccUncorrected: number | null;
  /** Watts. */
  powerW: number | null;
}

/** What a CSV held: the rows it could read, and the lines it could not. */
export interface NvidiaSmiParse {
  readings: GpuReading[];
  /** Lines that were not a GPU row, e.g. `Unable to determine the device handle for GPU…`. */
  rejected: string[];
}

/** The values nvidia-smi prints instead of a number or a name. */
const NO_VALUE = /^\[?(?:N\/A|Not Supported|Unknown Error|Insufficient Permissions|GPU is lost|Requires Pid|Not Available)\]?$/i;

/** A field trimmed; null for `[N/A]`, `N/A`, `[Not Supported]`, `[Unknown Error]` and the like. */
export function parseField(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  const value = raw.trim();
  if (value === "" || NO_VALUE.test(value)) return null;
  return value;
}

/** A numeric field; null when absent or not a finite number. */
export function parseNumber(raw: string | undefined): number | null {
  const value = parseField(raw);
  if (value === null) return null;
  const n = Number(value);
  return Number.isFinite(n) ? n : null;
}

/**
 * Parses one CSV line, or returns null when it is not a GPU row. A name with a comma in it
 * (none of NVIDIA's has one today) is joined back: the fields around it are fixed in number.
 */
export function parseNvidiaSmiLine(line: string): GpuReading | null {
  const parts = line.split(",");
  const count = NVIDIA_SMI_FIELDS.length;
  if (parts.length < count) return null;
  const extra = parts.length - count;
  const fields = [...parts.slice(0, 3), parts.slice(3, 4 + extra).join(","), ...parts.slice(4 + extra)];
  const [index, busId, uuid, name, memTotal, memUsed, utilGpu, utilMem, temp, ecc, power] = fields;

  const idx = parseNumber(index);
  const pciAddress = tryNormalizePciAddress(parseField(busId) ?? "");
  const id = parseField(uuid);
  const gpuName = parseField(name);
  const memoryTotalMb = parseNumber(memTotal);
  if (idx === null || !Number.isInteger(idx) || pciAddress === null || id === null || gpuName === null || memoryTotalMb === null) {
    return null;
  }
  return {
    index: idx,
    pciAddress,
    uuid: id,
    name: gpuName,
    memoryTotalMb,
    memoryUsedMb: parseNumber(memUsed),
    utilGpu: parseNumber(utilGpu),
    utilMemory: parseNumber(utilMem),
    temperatureC: parseNumber(temp),
    eccUncorrected: parseNumber(ecc),
    powerW: parseNumber(power),
  };
}

/** Parses `--format=csv,noheader,nounits` output; blank lines are skipped, others kept apart. */
export function parseNvidiaSmiCsv(text: string): NvidiaSmiParse {
  const readings: GpuReading[] = [];
  const rejected: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "") continue;
    const reading = parseNvidiaSmiLine(line);
    if (reading) readings.push(reading);
    else rejected.push(line);
  }
  return { readings, rejected };
}

/**
 * nvidia-smi ran and failed (nonzero exit, timeout, killed), or printed something that is not
 * the CSV. `readings` holds the rows it did print: when one GPU fell off the bus, nvidia-smi
 * still lists the others and exits nonzero.
 */
export class NvidiaSmiError extends Error {
  constructor(
    message: string,
    readonly readings: GpuReading[],
    readonly stdout: string,
    readonly stderr: string,
    readonly exitCode: number | null,
  ) {
    super(message);
    this.name = "NvidiaSmiError";
  }
}

export interface NvidiaSmiOptions {
  /** The binary: a path, or a name looked up on PATH. Default `nvidia-smi`. */
  binary?: string;
  /** Kill it after this long. Default 15 s (nvidia-smi can hang on a GPU that is going away). */
  timeoutMs?: number;
  /** The environment it runs in (default: this process's). */
  env?: NodeJS.ProcessEnv;
  signal?: AbortSignal;
}

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/)[0] ?? "";
}

/**
 * Runs the query and returns one reading per GPU, in nvidia-smi's order.
 * - The binary is missing (ENOENT): no NVIDIA driver, no NVIDIA GPUs: `[]`.
 * - It exits nonzero, times out, or prints lines that are not GPU rows: NvidiaSmiError.
 * - `signal` fires: rejects with the AbortError.
 */
export function queryGpus(options: NvidiaSmiOptions = {}): Promise<GpuReading[]> {
  const binary = options.binary ?? DEFAULT_NVIDIA_SMI;
  const timeoutMs = options.timeoutMs ?? DEFAULT_NVIDIA_SMI_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    execFile(
      binary,
      [...NVIDIA_SMI_ARGS],
      { timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 4 * 1024 * 1024, env: options.env, signal: options.signal, encoding: "utf8" },
      (error: ExecFileException | null, stdout: string, stderr: string) => {
        const parsed = parseNvidiaSmiCsv(stdout);
        if (error) {
          if (error.name === "AbortError") return reject(error);
          if (error.code === "ENOENT") return resolve([]);
          const detail = firstLine(stderr) || firstLine(parsed.rejected.join("\n")) || error.message;
          let message: string;
          if (typeof error.code === "string") message = `${binary} could not be run (${error.code}): ${error.message}`;
          else if (error.killed && error.code == null) message = `${binary} did not answer within ${timeoutMs} ms and was killed`;
          else if (error.signal) message = `${binary} was killed by ${error.signal}: ${detail}`;
          else message = `${binary} exited with code ${String(error.code)}: ${detail}`;
          const exitCode = typeof error.code === "number" ? error.code : null;
          return reject(new NvidiaSmiError(message, parsed.readings, stdout, stderr, exitCode));
        }
        if (parsed.rejected.length > 0) {
          const message = `${binary} printed ${parsed.rejected.length} line(s) that are not GPU rows: ${parsed.rejected[0]}`;
          return reject(new NvidiaSmiError(message, parsed.readings, stdout, stderr, 0));
        }
        resolve(parsed.readings);
      },
    );
  });
}
