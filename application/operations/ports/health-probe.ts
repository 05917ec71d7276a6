export type DependencyStatus = 'ok' | 'down' | 'not-configured'

/** Answers whether one backing service is reachable right now; never throws. */
export interface HealthProbe {
  check(): Promise<DependencyStatus>
}
