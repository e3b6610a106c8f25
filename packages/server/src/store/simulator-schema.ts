/**
 * The simulated driver's tables (`sim_*`): its machines, their addresses and logins, the images
 * it is making and its journal of actions. Part of the one database
 * (`schema.ts` lists them with the rest); read and written only in
 * `repositories/simulator.ts`.
 */

export interface SimMachinesTable {
  id: string;
  /** `on`, `off`. */
  power: string;
  /** The action in flight (`boot`, `shutdown`, `reboot`, …) or null. */
  action: string | null;
  action_until: number;
  boot_count: number;
  spec: string;
}

/** A simulated machine's public address (unique) and the login its image gives. */
export interface SimAccessTable {
  machine_id: string;
  public_ip: string;
  ssh_user: string;
  ssh_port: number;
}

export interface SimImagesTable {
  id: string;
  started_at: number;
  ready_at: number;
}

export interface SimJournalTable {
  id: string;
  machine_id: string;
  action: string;
  started_at: number;
  until: number;
}
