import { runProgram } from '../../bootstrap/runtime/run-program.js'

// A long-running program that crashes after it started: `exception` throws from a timer,
// `rejection` leaves a promise rejected with no handler. Its one resource reports being closed.
await runProgram('crash-test', async ({ lifecycle }) => {
  const keepAlive = setInterval(() => undefined, 1_000)
  lifecycle.add('resource', async () => {
    clearInterval(keepAlive)
    process.stdout.write('resource closed\n')
  })
  setTimeout(() => {
    if (process.argv[2] === 'exception') throw new Error('boom from a timer')
    void Promise.reject(new Error('boom from a promise'))
  }, 50)
})
