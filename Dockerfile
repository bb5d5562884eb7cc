# syntax=docker/dockerfile:1
# One image for every authgate role; the command picks the role (docker-compose.yml, services/*/railway.json):
#   node --require ./bin/threadpool.cjs --import tsx bin/authgate.ts --target=<all|edge|worker|api|mailer>
# Node 20 on Debian (glibc): the uWebSockets.js build in package.json ships native binaries for Node 20's
# ABI (115) on glibc only, and the edge refuses to start on its slow pure-JS fallback.
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Every workspace's package.json, so that `npm ci` links them (test/cluster/deploy-files.test.ts checks the list).
COPY shared/package.json shared/
COPY services/edge/package.json services/edge/
COPY services/worker/package.json services/worker/
COPY services/api/package.json services/api/
COPY services/mailer/package.json services/mailer/
COPY services/audit/package.json services/audit/
COPY client/package.json client/
COPY web/package.json web/
COPY features/package.json features/
RUN npm ci --omit=dev --no-audit --no-fund

# The page the edges serve at / (web/dist) and the SDK's browser build (client/dist): built with Vite,
# a development dependency, in a stage of their own; only the built files reach the image.
FROM node:20-bookworm-slim AS web
WORKDIR /app
COPY --from=deps /app/package.json /app/package-lock.json ./
COPY --from=deps /app/shared ./shared
COPY --from=deps /app/services ./services
COPY tsconfig.json ./
COPY client client
COPY web web
# A feature's part of the SDK and of the page (features/<name>/sdk.ts, web/) is built in with them.
COPY features features
RUN npm ci --no-audit --no-fund && npm run build

FROM node:20-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
COPY --from=web /app/web/dist ./web/dist
COPY --from=web /app/client/dist ./client/dist
# DATA_DIR (.data) is written only by the all-in-one role (embedded PGlite) and by development keys;
# a volume mounted on .data/keys takes this ownership when it is created.
RUN mkdir -p .data/keys .data/outbox && chmod 700 .data/outbox && chown -R node:node .data
USER node
EXPOSE 8080 3001
# node itself is PID 1 (exec form, no npm or shell in between), so SIGTERM reaches bin/authgate.ts's
# graceful shutdown.
CMD ["node", "--require", "./bin/threadpool.cjs", "--import", "tsx", "bin/authgate.ts", "--target=all"]
