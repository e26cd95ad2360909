export { startHub, type RunningHub } from './hub.js';
export type { Readiness, DependencyHealth } from './readiness.js';
export { configFromEnv, type HubConfig } from './config.js';
export type { HubExtension, HubExtensionContext, HubExtensionPackage, HubLog, HubOptions } from './extensions.js';
export type { Services } from './services.js';
export { Principal } from './core/principal.js';
export { type DomainFailure, isFailure } from './core/failures.js';
export { Subjects, pathTokens, type EquipmentStateSignal } from './subjects.js';
export type {
  MessageBus,
  BusMessage,
  BusSubscription,
  BatchOutcome,
  EventPublish,
  QueueOptions,
  SignalBatchHandler,
  SignalConsumerOptions,
  SignalDelivery,
} from './infrastructure/bus/message-bus.js';
export { SignalLanes } from './infrastructure/bus/signal-lanes.js';
export { subjectMatches } from './infrastructure/bus/message-bus.js';
export { InProcessBus } from './infrastructure/bus/in-process-bus.js';
export { NatsBus } from './infrastructure/bus/nats-bus.js';
export { SignalPublisher } from './infrastructure/bus/signal-publisher.js';
export * from './infrastructure/queue/job-queue.js';
export { openJobQueue, type OpenJobQueueOptions } from './infrastructure/queue/open-job-queue.js';
export { openDatabase, migrate, isEmbedded, type Database } from './infrastructure/database/database.js';
export { baselineKey, type ExtensionBaseline } from './infrastructure/database/embedded-baseline.js';
export { lockFolder, FolderLockedError, type FolderLock } from './infrastructure/database/folder-lock.js';
export { EmbeddedFolderError, backupsFolderOf, listBackups } from './infrastructure/database/embedded-backup.js';
export { buildHubSchema } from './graphql/schema.js';
export { MAX_PAGE_SIZE } from './core/paging.js';
export {
  computeOee,
  operatingIntervals,
  stateCategory,
  type OeeInput,
  type OeeFigures,
} from './modules/oee/oee-calculation.js';
export { shiftWindows } from './modules/oee/shift-windows.js';
export { changeoverBetween, type ProductTraits } from './modules/scheduling/changeover.js';
export { WorkingTime } from './modules/scheduling/working-time.js';
export { type Job, sequenceJobs, simulate } from './modules/scheduling/sequencer.js';
export { operatorsOnShift, type RosterEntry, rosteredOn } from './modules/scheduling/operators.js';
export { IngestBackoff, type IngestBackoffOptions } from './modules/signals/ingest-backoff.js';
export { INGEST_LANES, newIngestStatistics, startSignalIngest } from './modules/signals/signal-ingest.js';
export { EventFeed } from './core/event-feed.js';
export { EventRelay } from './core/event-relay.js';
export { collectEvents, recordEvents } from './core/event-outbox.js';
export { hubStatesShownAs, JobControlRefusal, planJobOrder } from './opcua/job-order-plan.js';
