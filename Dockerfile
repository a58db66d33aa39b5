# The incident orchestrator's image: the worker, the runbook worker and the HTTP server all run from it
# (docker-compose.yml picks the command). Multi-stage: build with dev dependencies, run without them.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY . .
RUN npm run build

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only; allowed install scripts (the embedded PostgreSQL's binaries) are not needed here.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY bin ./bin
USER node
# The worker by default; the HTTP server is `node dist/server/main.js`.
CMD ["node", "dist/workers/main.js"]
