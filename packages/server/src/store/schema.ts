/** The tables, as Kysely sees them. Times are Unix milliseconds; booleans are 0/1 integers. */
import type { Generated, Insertable, Kysely, Selectable, Transaction } from "kysely";
import type { SimAccessTable, SimImagesTable, SimJournalTable, SimMachinesTable } from "./simulator-schema.js";
import type { MachineFaultsTable, TestingClockTable, TestingSnapshotsTable } from "./testing-schema.js";

export interface AccountsTable {
  id: string;
  name: string;
  created_at: number;
  /** The account's number: CompShare names accounts by integers where images are shared. */
  org_id: number;
  /** Most instances the account may have at once, its own (a whitelisted account); 0: none, its level's (accounts/quota.ts). */
  instance_quota: number;
  /** 1 when the network accelerator (CheckCompShareNetOptimizer) is on. */
  net_optimized: number;
  /** What the account may spend, in fen (CNY cents); set and topped up with `ocs admin balance`. */
  balance_cents: number;
  /** `active`, or `disabled` by `ocs account disable` (its keys are disabled with it). */
  status: Generated<"active" | "disabled">;
  /** The level an operator set (0-4, `ocs account level`); null: the level follows what the account paid in (accounts/quota.ts). */
  level_override: number | null;
  /** 1 when the account may create instances; 0 answers AccountNotVerified (226606). */
  verified: Generated<number>;
}

export interface ProjectsTable {
  id: string;
  account_id: string;
  name: string;
  is_default: number;
  created_at: number;
}

export interface ApiKeysTable {
  public_key: string;
  account_id: string;
  /** The private key, sealed with the master key (see security/secrets.ts). */
  private_key_sealed: string;
  status: "active" | "disabled";
  created_at: number;
  /** `generated` (the default account's first pair), `configured` (OCS_PUBLIC_KEY) or `created` (ocs key create). */
  origin: Generated<KeyOrigin>;
}

export type KeyOrigin = "generated" | "configured" | "created";

export interface InstancesTable {
  id: string;
  account_id: string;
  project_id: string;
  zone: string;
  name: string;
  state: string;
  cpu: number;
  memory: number;
  gpu: number;
  gpu_type: string;
  machine_type: string;
  image_id: string;
  charge_type: string;
  login_mode: string;
  /**
   * JSON: the DiskSet the instance shows, boot disk first, [{ DiskId, IsBoot, Size, Type, Name?, Device? }].
   * Data disks are also rows of `disks` (the resource); every change to an attachment rewrites
   * this in the same transaction, so Describe reads one row.
   */
  disks: string;
  password_sealed: string;
  /** 1 while the instance is being reclaimed. */
  recycling: number;
  /** The background task running on the instance (ResetPassword, Reinstall, Resize), or null. */
  task: string | null;
  task_op_id: string | null;
  created_at: number;
  updated_at: number;
  start_time: number;
  stop_time: number;
  stop_scheduler_time: number;
  expire_time: number;
  /** The host placement chose; null until placed. */
  host_id: string | null;
  remark: string;
  tag: string;
  security_group_id: string;
  enable_us3: number;
  /** `UHost` (a virtual machine, from a System image) or `Container` (from App and community images). */
  instance_type: string;
  cpu_platform: string;
  auto_renew: string;
  /** What the current prepaid period cost, and when it began (for refunds and upgrades). */
  paid_amount: number;
  period_start: number;
  /** JSON: { HttpPorts: number[], TcpPorts: number[] }. */
  ports: string;
  /** JSON: where the guest's SSH server is reachable ({ ip, sshPort, sshUser }), as the driver last told. */
  access: string;
  /** JSON: the GPU health of its host's GPUs given to it, as the host last reported ({ GpuInfo: [...] }). */
  monitor: string;
  /** Pay-as-you-go: the end of the last hour an order was made for. */
  billed_until: number;
  /** Pay-as-you-go: when its first unpaid order was made (t0 of the arrears timeline); 0 when nothing is unpaid. */
  arrears_since: number;
  /** The reclaim timeline the instance is on (`arrears:<t0>`, `expiry:<t0>`, `stopped:<t0>`), and the last step taken on it. */
  policy_key: string;
  policy_step: string;
  /** 1 when resized into no-GPU mode: it starts without its GPUs until a compute resize. */
  without_gpu: number;
  /** 1 when the machine is sized for no-GPU mode now (what its last start asked the driver for). */
  machine_without_gpu: number;
  /** The account id while the instance is started in no-GPU mode, else null (unique: one per account). */
  no_gpu_slot: string | null;
}

export interface InstanceLocksTable {
  instance_id: string;
  holder_op_id: string | null;
  /** The fencing token: incremented by every acquisition. */
  token: number;
  acquired_at: number;
  expires_at: number;
  /** Grows with every operation accepted or taken over on the instance: hosts refuse commands of an older epoch. */
  epoch: number;
}

export interface OperationsTable {
  id: string;
  instance_id: string;
  account_id: string;
  project_id: string;
  action: string;
  request_id: string;
  status: "running" | "succeeded" | "failed";
  phase: string;
  /** Bumped by each takeover; every write of the runner presents it. */
  fence: number;
  /** The instance lock token held by the operation, or null once released. */
  lock_token: number | null;
  owner: string;
  lease_expires_at: number;
  params: string;
  /** JSON the runner records before a driver call, so recovery knows what was asked. */
  checkpoint: string;
  started_at: number;
  ended_at: number | null;
  error_code: number | null;
  error_message: string;
  recovered: number;
  /** The instance epoch this operation (or its latest taker) acts under. */
  epoch: number;
  /** Who asked: `api` (a signed request), `console`, `policy` (the lifecycle policies), `schedule` (a scheduled stop). */
  source: Generated<OperationSource>;
  /** The public key of the request or console session; the policy step or `stop-scheduler` otherwise. */
  requester: Generated<string>;
}

export type OperationSource = "api" | "console" | "policy" | "schedule";

export interface ImagesTable {
  id: string;
  /** Null for platform images. */
  account_id: string | null;
  project_id: string | null;
  name: string;
  description: string;
  type: string;
  status: string;
  source_instance_id: string | null;
  op_id: string | null;
  gpu_type: string;
  os_name: string;
  size: number;
  /** JSON: { Applications, CUDAVersion, Framework, FrameworkVersion }. */
  softwares: string;
  /** JSON string array. */
  tags: string;
  progress: number;
  created_at: number;
  ready_at: number;
  failed_reason: string;
  /** Community images: their version group, and the custom image they were published from. */
  group_id: string;
  source_image_id: string;
  version_name: string;
  version_desc: string;
  author: string;
  /** CNY per hour; 0 is free. */
  price: number;
  /** 1: public (listed in the community); 0: private. */
  visibility: number;
  cover: string;
  readme: string;
  auto_start: number;
  /** JSON string array; empty means every GPU type. */
  supported_gpu_types: string;
  /** JSON: [{ Software, Port }]. */
  ports: string;
  /** 1 when instances of it are containers (App, community and their custom images). */
  container: number;
  is_official: number;
  published_at: number;
  updated_at: number;
  /** The host that holds a custom image's files ('' for platform images, held everywhere). */
  host_id: string;
  /** A community version: when it was approved (0: never; `ocs image review`). */
  approved_at: Generated<number>;
  /** The community image of another account (or of the platform) the image descends from ('' when none): not publishable. */
  derived_from: Generated<string>;
}

/** A machine that runs instances: simulated (from the catalog's fleet) or a host agent. */
export interface HostsTable {
  id: string;
  kind: "simulated" | "agent";
  zone: string;
  /** The GPU type of its GPUs ('' when it has none). */
  gpu_type: string;
  cpu_platform: string;
  cpus: number;
  memory_mb: number;
  used_cpus: number;
  used_memory_mb: number;
  /** `Ready`, or `Draining` (takes no new instances). Whether it is alive is `last_seen` within the lease. */
  state: string;
  /** SHA-256 of the host's token (agents). */
  token_hash: string | null;
  boot_id: string;
  accelerator: string;
  /** JSON: what the host last reported (facts, GPU health). */
  facts: string;
  registered_at: number;
  last_seen: number;
}

export interface HostGpusTable {
  host_id: string;
  /** PCI address, `0000:01:00.0`. */
  device: string;
  idx: number;
  model: string;
  healthy: number;
  /** JSON: the latest health reading. */
  health: string;
  /** The instance it is given to, or null. */
  instance_id: string | null;
}

export interface HostImagesTable {
  host_id: string;
  image_id: string;
}

export interface DisksTable {
  id: string;
  account_id: string;
  project_id: string;
  zone: string;
  name: string;
  size_gb: number;
  disk_type: string;
  charge_type: string;
  /** `Available` (detached), `InUse`, `Attaching`, `Detaching`, `Resizing`, `Deleting`. */
  status: string;
  instance_id: string | null;
  /** `/dev/vdb`… while attached. */
  device: string;
  host_id: string | null;
  op_id: string | null;
  paid_amount: number;
  period_start: number;
  expire_time: number;
  /** Billed by the hour: the end of the last hour an order was made for (billed from creation, attached or not). */
  billed_until: Generated<number>;
  created_at: number;
  updated_at: number;
}

/** A driver call for a host agent: pending, delivered (handed out at least once), then done, failed or cancelled. */
export interface HostCommandsTable {
  id: string;
  host_id: string;
  instance_id: string | null;
  operation_id: string | null;
  /** The instance epoch of the operation that made the call (0 outside one). */
  epoch: number;
  method: string;
  /** JSON array. */
  args: string;
  status: "pending" | "delivered" | "done" | "failed" | "cancelled";
  /** JSON of the value, when done. */
  result: string | null;
  error_kind: string | null;
  error_message: string | null;
  /** JSON: the latest progress the host reported (an image being built). */
  progress: string | null;
  /** JSON of the fault (protocol faults.ts) the call was caught by, for the host to apply before it acts; null: none. */
  fault: string | null;
  deliveries: number;
  created_at: number;
  delivered_at: number | null;
  done_at: number | null;
}

export interface CommunityGroupsTable {
  id: string;
  /** Null for official groups from the catalog. */
  account_id: string | null;
  name: string;
  description: string;
  created_count: number;
  use_seconds: number;
  created_at: number;
}

export interface ImageSharesTable {
  image_id: string;
  /** The account it is shared with. */
  account_id: string;
  created_at: number;
}

export interface ImageFavoritesTable {
  account_id: string;
  group_id: string;
  created_at: number;
}

/** The ledger: orders and top-ups. A charge is `paid` from the balance or `unpaid` (arrears); a top-up pays unpaid ones, oldest first. */
export interface LedgerTable {
  id: string;
  account_id: string;
  instance_id: string | null;
  /** `hour` (a pay-as-you-go hour), `renew` (a prepaid period), `topup`, `set` (the balance set by an admin). */
  kind: string;
  /** Fen: negative for charges, positive for top-ups. */
  amount_cents: number;
  status: "paid" | "unpaid";
  period_start: number;
  period_end: number;
  balance_after_cents: number;
  note: string;
  created_at: number;
  paid_at: number | null;
}

/** One event: what changed, for whom. `id` grows with each event. */
export interface EventsTable {
  id: Generated<number>;
  account_id: string;
  instance_id: string | null;
  /** `instance.state`, `instance.created`, `instance.released`, `operation.accepted`, `operation.phase`, `operation.succeeded`, `operation.failed`, `lock.taken`, `lock.released`, `policy.notice`. */
  kind: string;
  /** JSON: the details of the kind. */
  data: string;
  created_at: number;
}

export interface EventLogTable {
  id: number;
  pruned_through: number;
}

export interface ConsoleSessionsTable {
  /** SHA-256 (hex) of the cookie's value; the value itself is never stored. */
  token_hash: string;
  account_id: string;
  /** The key that logged in: disabling it ends the session. */
  public_key: string;
  created_at: number;
  expires_at: number;
}

export interface ConsoleNoncesUsedTable {
  nonce: string;
  expires_at: number;
}

/** A webhook of an account: where its events are POSTed, and how far it has got. */
export interface WebhooksTable {
  /** `whk-…`. */
  id: string;
  account_id: string;
  url: string;
  /** The signing secret, sealed with the master key; never answered after Create. */
  secret_sealed: string;
  /** JSON list of the event kinds it wants; empty: every kind. */
  kinds: string;
  /** `active`. */
  status: string;
  created_at: number;
  /** The last event id delivered (or passed over): the next delivery is of an event after it. */
  cursor: number;
  /** When the next attempt may be made (0: now); set by the backoff after a failure. */
  next_attempt_at: number;
  /** Failed attempts at the event after the cursor, since the last success. */
  attempts: number;
  /** What the last attempt got: an HTTP status, `timeout`, `error`, `reset`; empty before any. */
  last_status: string;
  last_attempt_at: number;
  /** The replica delivering it now, until `lease_until`. */
  lease_owner: string | null;
  lease_until: number;
}

/** One attempt to deliver an event to a webhook, or a reset of its cursor. */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  webhook_id: string;
  event_id: number;
  /** `delivered`, `failed`, `reset`. */
  outcome: string;
  attempt: number;
  /** The HTTP status answered, 0 when none came. */
  status_code: number;
  error: string;
  duration_ms: number;
  at: number;
}

export interface Database {
  accounts: AccountsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  instances: InstancesTable;
  instance_locks: InstanceLocksTable;
  operations: OperationsTable;
  images: ImagesTable;
  hosts: HostsTable;
  host_gpus: HostGpusTable;
  host_images: HostImagesTable;
  disks: DisksTable;
  host_commands: HostCommandsTable;
  community_groups: CommunityGroupsTable;
  image_shares: ImageSharesTable;
  image_favorites: ImageFavoritesTable;
  ledger: LedgerTable;
  events: EventsTable;
  event_log: EventLogTable;
  console_sessions: ConsoleSessionsTable;
  console_nonces_used: ConsoleNoncesUsedTable;
  webhooks: WebhooksTable;
  webhook_deliveries: WebhookDeliveriesTable;
  sim_machines: SimMachinesTable;
  sim_access: SimAccessTable;
  sim_images: SimImagesTable;
  sim_journal: SimJournalTable;
  machine_faults: MachineFaultsTable;
  testing_clock: TestingClockTable;
  testing_snapshots: TestingSnapshotsTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or a transaction in it. */
export type Executor = Db | Tx;

export type InstanceRow = Selectable<InstancesTable>;
export type OperationRow = Selectable<OperationsTable>;
export type ImageRow = Selectable<ImagesTable>;
export type HostRow = Selectable<HostsTable>;
export type DiskRow = Selectable<DisksTable>;
export type LedgerRow = Selectable<LedgerTable>;
export type EventRow = Selectable<EventsTable>;
export type WebhookRow = Selectable<WebhooksTable>;
export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;
export type NewOperation = Insertable<OperationsTable>;
