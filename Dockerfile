# vigil: one image for a single node (SQLite in /data) and for many nodes on PostgreSQL.
# Build: docker build -t vigil .   Run: docker run -p 8080:8080 -v vigil-data:/data vigil
# See docs/deploy.md.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# better-sqlite3 is a native module: when no prebuilt binary fits, npm compiles it
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production \
    VIGIL_HOST=0.0.0.0 \
    VIGIL_PORT=8080 \
    VIGIL_DATABASE_URL=sqlite:/data/vigil.db
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.VIGIL_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# exec form: node is PID 1 and gets SIGTERM itself, so vigil stops cleanly
CMD ["node", "--max-semi-space-size=64", "bin/vigil.js", "serve"]
