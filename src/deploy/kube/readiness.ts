/**
 * Rollout readiness as `kubectl rollout status` judges it, from an object's status alone:
 * Deployments (observedGeneration caught up, every replica updated and available), StatefulSets
 * (observedGeneration caught up, every replica ready), Jobs (succeeded, or a Failed condition).
 */

export type Readiness = { state: 'ready' } | { state: 'pending'; reason: string } | { state: 'failed'; reason: string };

type Json = Record<string, any>;

/** Kinds apply waits for; everything else counts as ready once applied. */
export const WAITED_KINDS = new Set(['apps/Deployment', 'apps/StatefulSet', 'batch/Job']);

export function readiness(o: Json): Readiness {
  const s: Json = o.status ?? {};
  const gen = o.metadata?.generation;
  const replicas: number = o.spec?.replicas ?? 1;
  const caughtUp = gen === undefined || (s.observedGeneration ?? 0) >= gen;
  switch (o.kind) {
    case 'Deployment': {
      if (!caughtUp) return { state: 'pending', reason: 'waiting for the controller to observe the new generation' };
      const updated = s.updatedReplicas ?? 0;
      const available = s.availableReplicas ?? 0;
      if (updated < replicas) return { state: 'pending', reason: `${updated} of ${replicas} replicas updated` };
      if (available < replicas) return { state: 'pending', reason: `${available} of ${replicas} replicas available` };
      return { state: 'ready' };
    }
    case 'StatefulSet': {
      if (!caughtUp) return { state: 'pending', reason: 'waiting for the controller to observe the new generation' };
      const ready = s.readyReplicas ?? 0;
      return ready >= replicas ? { state: 'ready' } : { state: 'pending', reason: `${ready} of ${replicas} replicas ready` };
    }
    case 'Job': {
      const failed = (s.conditions ?? []).find((c: Json) => c.type === 'Failed' && c.status === 'True');
      if (failed) return { state: 'failed', reason: `job failed${failed.reason ? ` (${failed.reason})` : ''}${failed.message ? `: ${String(failed.message).split('\n')[0]}` : ''}` };
      return (s.succeeded ?? 0) >= 1 ? { state: 'ready' } : { state: 'pending', reason: 'no pod succeeded yet' };
    }
    default:
      return { state: 'ready' };
  }
}
