// The one migration chain (SQLite and Postgres alike). Append only: a released migration never changes.
// Room is left for later steps: events, artifacts.
import { migration0001Init } from "./0001_init.js";
import { migration0002Scheduler } from "./0002_scheduler.js";
import { migration0003Outbox } from "./0003_outbox.js";
import { migration0004Requests } from "./0004_requests.js";
import { migration0005CacheArtifacts } from "./0005_cache_artifacts.js";
import { migration0006Events } from "./0006_events.js";
import { migration0007SensorWaits } from "./0007_sensor_waits.js";
import { migration0008Distributed } from "./0008_distributed.js";
import { migration0009RetryBase } from "./0009_retry_base.js";
import { migration0010SharedArtifacts } from "./0010_shared_artifacts.js";
import { migration0011LogOffsets } from "./0011_log_offsets.js";
import { migration0012PostgresWrites } from "./0012_postgres_writes.js";
import type { Migration } from "./migration.js";

export type { Migration };

export const MIGRATIONS: readonly Migration[] = [migration0001Init, migration0002Scheduler, migration0003Outbox, migration0004Requests, migration0005CacheArtifacts, migration0006Events, migration0007SensorWaits, migration0008Distributed, migration0009RetryBase, migration0010SharedArtifacts, migration0011LogOffsets, migration0012PostgresWrites];
