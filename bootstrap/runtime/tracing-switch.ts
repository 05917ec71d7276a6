type Env = Readonly<Record<string, string | undefined>>

/**
 * Tracing is off unless the standard variables ask for it: an OTLP endpoint, or an exporter named
 * in OTEL_TRACES_EXPORTER (other than `none`). OTEL_SDK_DISABLED=true wins over both.
 */
export function tracingRequested(env: Env = process.env): boolean {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') return false
  const exporter = env.OTEL_TRACES_EXPORTER?.trim().toLowerCase()
  if (exporter !== undefined && exporter !== '') return exporter !== 'none'
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim() || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim())
}

let running: { shutdown(): Promise<void> } | undefined

export function tracingStarted(tracing: { shutdown(): Promise<void> }): void {
  running = tracing
}

/** Exports the spans still buffered; the lifecycle runs it last, just before the process exits. */
export async function flushTracing(): Promise<void> {
  await running?.shutdown()
}
