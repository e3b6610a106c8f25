/** The tables, as Kysely sees them. Times are Unix milliseconds; booleans are 0/1 integers. */
import type { Insertable, Kysely, Selectable, Transaction } from "kysely";

export interface AccountsTable {
  id: string;
  name: string;
  created_at: number;
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
}

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
  /** JSON: [{ DiskId, IsBoot, Size, Type }]. */
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
}

export interface InstanceLocksTable {
  instance_id: string;
  holder_op_id: string | null;
  /** The fencing token: incremented by every acquisition. */
  token: number;
  acquired_at: number;
  expires_at: number;
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
}

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
}

export interface GpuPoolsTable {
  zone: string;
  gpu_type: string;
  machine_type: string;
  capacity: number;
  used: number;
}

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

export interface SimImagesTable {
  id: string;
  started_at: number;
  ready_at: number;
}

export interface SimFaultsTable {
  id: string;
  method: string;
  instance_id: string | null;
  mode: "fail" | "hang" | "slow";
  remaining: number;
  delay_ms: number;
}

export interface SimJournalTable {
  id: string;
  machine_id: string;
  action: string;
  started_at: number;
  until: number;
}

export interface Database {
  accounts: AccountsTable;
  projects: ProjectsTable;
  api_keys: ApiKeysTable;
  instances: InstancesTable;
  instance_locks: InstanceLocksTable;
  operations: OperationsTable;
  images: ImagesTable;
  gpu_pools: GpuPoolsTable;
  sim_machines: SimMachinesTable;
  sim_images: SimImagesTable;
  sim_faults: SimFaultsTable;
  sim_journal: SimJournalTable;
}

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or a transaction in it. */
export type Executor = Db | Tx;

export type InstanceRow = Selectable<InstancesTable>;
export type OperationRow = Selectable<OperationsTable>;
export type ImageRow = Selectable<ImagesTable>;
export type NewOperation = Insertable<OperationsTable>;
