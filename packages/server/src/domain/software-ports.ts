/**
 * The software an instance serves and where it is reached. A container instance publishes, besides
 * SSH, the ports of the software its image serves (a community image's ports; a platform image's
 * Applications, through the catalog's DescribeCompShareSoftwarePort list) and the ports its owner
 * added with UpdateCompShareInstancePorts (HttpPorts, TcpPorts). Its host publishes each on a port
 * of its own (MachineAccess.ports), which is what Describe's Softwares and GetSoftwareURL show. A
 * virtual machine publishes nothing: it is reached at its own address.
 */
import type { MachineAccess } from "@opencompshare/protocol";
import type { Catalog } from "../catalog/catalog.js";
import type { ImageRecord } from "../store/repositories/images.js";
import type { InstanceRecord } from "../store/repositories/instances.js";

/** One entry of Describe's Softwares: a name and the machine's port it listens on, by scheme. */
export interface Software {
  name: string;
  port: number;
  scheme: "http" | "tcp";
}

/** SSH has a login of its own (SshLoginCommand), not a software port. */
const SSH = "SSH";

/** The software of an instance: its image's, then the HTTP and TCP ports its owner added. */
export function softwaresOf(inst: Pick<InstanceRecord, "ports">, image: Pick<ImageRecord, "ports" | "softwares"> | undefined, catalog: Catalog): Software[] {
  const listed = new Map(catalog.data.softwarePorts.map((p) => [p.Software, p.Port]));
  const served = new Map<string, number>();
  for (const p of image?.ports ?? []) served.set(p.Software, p.Port);
  for (const name of image?.softwares.Applications ?? []) {
    const port = listed.get(name);
    if (port !== undefined && !served.has(name)) served.set(name, port);
  }
  served.delete(SSH);
  return [
    ...[...served].map(([name, port]) => ({ name, port, scheme: "http" as const })),
    ...(inst.ports.HttpPorts ?? []).map((port) => ({ name: `HTTP:${port}`, port, scheme: "http" as const })),
    ...(inst.ports.TcpPorts ?? []).map((port) => ({ name: `TCP:${port}`, port, scheme: "tcp" as const })),
  ];
}

/** The ports a container instance's machine publishes (sorted, once each); none for a virtual machine. */
export function machinePorts(inst: Pick<InstanceRecord, "ports" | "instanceType">, image: Pick<ImageRecord, "ports" | "softwares"> | undefined, catalog: Catalog): number[] {
  if (inst.instanceType !== "Container") return [];
  return [...new Set(softwaresOf(inst, image, catalog).map((s) => s.port))].sort((a, b) => a - b);
}

/** Whether the machine publishes exactly `ports` now (as its host last told). */
export function publishes(access: Partial<MachineAccess>, ports: readonly number[]): boolean {
  const now = (access.ports ?? []).map((p) => p.port).sort((a, b) => a - b);
  return now.length === ports.length && now.every((p, i) => p === ports[i]);
}

/**
 * Where `port` of the machine is reached: the host's port publishing it, or the port itself on a
 * machine reached at its own address; "" when the machine has no address yet, or a container
 * does not publish it (yet: a port added while it runs is published from its next start).
 */
export function urlOf(access: Partial<MachineAccess>, software: Software, container: boolean): string {
  const host = access.publicIp || access.ip;
  if (!host) return "";
  const hostPort = container ? access.ports?.find((p) => p.port === software.port)?.hostPort : software.port;
  return hostPort === undefined ? "" : `${software.scheme}://${host}:${hostPort}`;
}
