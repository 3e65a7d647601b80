/** The deploy controller (`ocm controller run`): config, version selection, reconcile loop, status and metrics. */
export { parseControllerConfig, parseInterval, isExactVersion, CONTROLLER_CONFIG_API_VERSION, CONTROLLER_CONFIG_KIND, type ControllerConfig, type ControllerEntry, type DowngradePolicy, type VerifySpec } from './config.js';
export { selectVersion, type SelectInput, type Selection, type Rejection } from './select.js';
export { reconcileEntry, type ControllerDeps, type EntryState, type ReconcileResult } from './reconcile.js';
export { runController, backoffDelay, initialStatus, type RunControllerOptions, type RunControllerResult } from './run.js';
export { metricsText, readStatusFile, writeStatusFile, type ControllerStatus, type EntryStatus, type Condition, type ControllerEvent } from './status.js';
export { serveMetrics, parseListen, type MetricsServer } from './metrics.js';
export { runCrdController, type CrdControllerOptions } from './crds.js';
export { entryFromChain, chainStatuses, parseGoDuration, repositoryReference, DELIVERY_API_VERSION, SpecError, type DeliveryChain, type KubeObj } from './crds-map.js';
