#!/usr/bin/env python3
"""Writes the bad-input catalogue: broken specs, each with the diagnostic code it must
produce, into banatie-infra-core/tests/fixtures/bad-inputs/ and its index `expected.tsv`
(file, code). Deterministic; run it again after changing the cases:

    python3 scripts/gen-bad-inputs.py
"""
import os
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent
OUT = ROOT / "banatie-infra-core/tests/fixtures/bad-inputs"
BASE = (ROOT / "examples/banatie.yaml").read_text()
BASE_TOML = (ROOT / "examples/banatie.toml").read_text()

cases = []  # (name, bytes, code)


def edit(name, old, new, code, count=1):
    assert old in BASE, (name, old)
    cases.append((name + ".yaml", BASE.replace(old, new, count).encode(), code))


def raw(name, text, code):
    cases.append((name, text if isinstance(text, bytes) else text.encode(), code))


# --- syntax (BI100) -------------------------------------------------------------------
raw("empty.yaml", "", "BI103")
raw("only-comment.yaml", "# nothing here\n", "BI103")
raw("empty.json", "", "BI100")
raw("empty.toml", "", "BI103")
raw("tab-indent.yaml", "stack:\n\tname: x\n", "BI100")
raw("unclosed-flow.yaml", "stack: {name: demo\nservices: {}\n", "BI100")
raw("unclosed-seq.yaml", "stack: {name: demo}\nservices: {}\nsites: [\n", "BI100")
raw("bad-indent.yaml", "stack:\n  name: demo\n services: {}\n", "BI100")
raw("two-documents.yaml", "stack: {name: a}\nservices: {}\n---\nstack: {name: b}\n", "BI100")
raw("unterminated-quote.yaml", "stack: {name: \"demo}\nservices: {}\n", "BI100")
raw("alias-unknown.yaml", "stack: *nope\nservices: {}\n", "BI100")
raw("invalid-utf8.yaml", b"stack:\n  name: d\xffmo\nservices: {}\n", "BI100")
raw("invalid-utf8.toml", b"[stack]\nname = \"\xc3\x28\"\n", "BI100")
raw("bom-garbage.json", b"\xef\xbb\xbf{\"stack\": ", "BI100")
raw("trailing-comma.json", '{"stack": {"name": "demo"}, "services": {},}', "BI100")
raw("single-quotes.json", "{'stack': {'name': 'demo'}}", "BI100")
raw("unclosed-table.toml", "[stack\nname = \"demo\"\n", "BI100")
raw("bad-toml-value.toml", "[stack]\nname = demo\n", "BI100")
raw("dup-table.toml", "[stack]\nname = \"a\"\n[stack]\nname = \"b\"\n", "BI100")
raw("deep-nesting.yaml", "a: " + "[" * 200 + "]" * 200 + "\n", "BI100")
bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
for i in range(8):
    prev = "a" if i == 0 else f"b{i-1}"
    bomb += f"b{i}: &b{i} [" + ", ".join([f"*{prev}"] * 10) + "]\n"
raw("alias-bomb.yaml", bomb, "BI152")
raw("binary-garbage.yaml", bytes(range(256)) * 4, "BI100")

# --- duplicates (BI104) ---------------------------------------------------------------
raw("dup-top-key.yaml", "stack: {name: a}\nservices: {}\nstack: {name: b}\n", "BI104")
edit("dup-service-key", "    uid: 1001\n    port: 3000\n", "    uid: 1001\n    port: 3000\n    port: 3001\n", "BI104")
raw("dup-key.json", '{"stack": {"name": "a", "name": "b"}, "services": {}}', "BI104")

# --- unknown keys (BI101) -------------------------------------------------------------
edit("typo-stack", "stack:\n  name: banatie", "stakc:\n  name: banatie", "BI101")
edit("typo-root", "  root: /opt/banatie", "  rot: /opt/banatie", "BI101")
edit("typo-port", "    port: 3000\n    health_path: /health", "    prot: 3000\n    health_path: /health", "BI101")
edit("typo-networks", "    networks: [banatie-internal]\n\n  banatie-minio:", "    netwroks: [banatie-internal]\n\n  banatie-minio:", "BI101")
edit("typo-depends", "    depends_on:\n      banatie-minio: healthy\n\nsites", "    depend_on:\n      banatie-minio: healthy\n\nsites", "BI101")
edit("typo-domains", "  - domains: [api.banatie.app]", "  - domain: [api.banatie.app]", "BI101")
edit("typo-secret-field", "  JWT_SECRET: { length: 64,", "  JWT_SECRET: { lenght: 64,", "BI101")
edit("typo-backups", "backups:\n  dir: backups", "backups:\n  directory: backups", "BI101")
edit("unknown-top", "backups:\n", "extras: {}\nbackups:\n", "BI101")
edit("typo-lifecycle", "{ id: temp-cleanup, prefix: temp/, expire_days: 7 }", "{ id: temp-cleanup, prefix: temp/, expires_days: 7 }", "BI101")
edit("typo-access-log", "access_log: { file: api-access.log }", "access_log: { path: api-access.log }", "BI101")
edit("typo-userns", "userns_remap: { enabled: true, base: 165536 }", "userns_remap: { enable: true, base: 165536 }", "BI101")
edit("typo-build", "build: { dockerfile: apps/landing/Dockerfile }", "build: { docker_file: apps/landing/Dockerfile }", "BI101")
edit("job-health-key", "    task: { storage_init: { minio: banatie-minio } }", "    task: { storage_init: { minio: banatie-minio, bucket: x } }", "BI101")
edit("network-driver", "  banatie-internal: { internal: true }", "  banatie-internal: { internal: true, driver: overlay }", "BI101")
edit("typo-cors", "      origin: \"*\"", "      origins: \"*\"", "BI101")
raw("unknown-key.toml", BASE_TOML.replace('name = "banatie"', 'name = "banatie"\nnmae = "x"', 1), "BI101")

# --- wrong types and bad values (BI102) -----------------------------------------------
bad_values = [
    ("port-zero", "    port: 3000\n    health_path: /health", "    port: 0\n    health_path: /health"),
    ("port-huge", "    port: 3000\n    health_path: /health", "    port: 70000\n    health_path: /health"),
    ("port-negative", "    port: 3000\n    health_path: /health", "    port: -1\n    health_path: /health"),
    ("port-string", "    port: 3000\n    health_path: /health", "    port: three\n    health_path: /health"),
    ("port-float", "    port: 3000\n    health_path: /health", "    port: 30.5\n    health_path: /health"),
    ("name-upper", "  name: banatie", "  name: Banatie"),
    ("name-space", "  name: banatie", "  name: \"ban atie\""),
    ("name-long", "  name: banatie", "  name: " + "b" * 64),
    ("service-name-dot", "  banatie-landing:\n", "  banatie.landing:\n"),
    ("root-relative", "  root: /opt/banatie", "  root: opt/banatie"),
    ("root-dotdot", "  root: /opt/banatie", "  root: /opt/../etc"),
    ("root-space", "  root: /opt/banatie", "  root: \"/opt/ban atie\""),
    ("source-quote", "  source: /home/usul/workspace/projects/banatie-service", "  source: \"/home/usul/it's\""),
    ("dockerfile-abs", "dockerfile: apps/landing/Dockerfile", "dockerfile: /apps/landing/Dockerfile"),
    ("dockerfile-escape", "dockerfile: apps/landing/Dockerfile", "dockerfile: ../../etc/passwd"),
    ("domain-upper", "  - domains: [api.banatie.app]", "  - domains: [API.banatie.app]"),
    ("domain-single-label", "  - domains: [api.banatie.app]", "  - domains: [localhost]"),
    ("domain-underscore", "  - domains: [api.banatie.app]", "  - domains: [api_v1.banatie.app]"),
    ("domain-ip", "  - domains: [api.banatie.app]", "  - domains: [10.0.0.1]"),
    ("domain-trailing-dash", "  - domains: [api.banatie.app]", "  - domains: [api-.banatie.app]"),
    ("domain-not-list", "  - domains: [api.banatie.app]", "  - domains: api.banatie.app"),
    ("bucket-upper", "    bucket: banatie", "    bucket: Banatie"),
    ("bucket-short", "    bucket: banatie", "    bucket: ab"),
    ("bucket-ip", "    bucket: banatie", "    bucket: 192.168.1.1"),
    ("bucket-dotdot", "    bucket: banatie", "    bucket: ban..atie"),
    ("bucket-xn", "    bucket: banatie", "    bucket: xn--banatie"),
    ("roll-size-space", "roll_size: 50MiB", "roll_size: 50 MiB"),
    ("roll-size-unit", "roll_size: 50MiB", "roll_size: 50MB2"),
    ("roll-size-zero", "roll_size: 50MiB", "roll_size: 0MiB"),
    ("roll-keep-negative", "roll_keep: 10", "roll_keep: -10"),
    ("duration-no-unit", "health: { start_period: 60s }", "health: { start_period: 60 }"),
    ("duration-days", "health: { start_period: 60s }", "health: { start_period: 1d }"),
    ("duration-fraction", "health: { start_period: 60s }", "health: { start_period: 1.5s }"),
    ("condition-unknown", "      banatie-postgres: healthy\n      banatie-minio: healthy", "      banatie-postgres: ready\n      banatie-minio: healthy"),
    ("kind-unknown", "    kind: job", "    kind: cron"),
    ("kind-typo", "    kind: postgres", "    kind: postgre"),
    ("kind-number", "    kind: postgres", "    kind: 5"),
    ("probe-unknown", "    health_path: /health\n", "    health_path: /health\n    probe: httpie\n"),
    ("health-path-relative", "    health_path: /health", "    health_path: health"),
    ("health-path-space", "    health_path: /health", "    health_path: \"/he alth\""),
    ("image-upper", "    image: postgres:15-alpine", "    image: Postgres:15-alpine"),
    ("image-empty-tag", "    image: postgres:15-alpine", "    image: \"postgres:\""),
    ("image-space", "    image: postgres:15-alpine", "    image: \"postgres 15\""),
    ("env-name-digit", "  NODE_ENV: production\n  PORT", "  1NODE_ENV: production\n  PORT"),
    ("env-name-dash", "  NODE_ENV: production\n  PORT", "  NODE-ENV: production\n  PORT"),
    ("env-value-map", "  DEFAULT_ORG_ID: demo", "  DEFAULT_ORG_ID: {a: b}"),
    ("env-value-list", "  DEFAULT_ORG_ID: demo", "  DEFAULT_ORG_ID: [a, b]"),
    ("secret-source-unknown", "{ source: supplied,", "{ source: vault,"),
    ("alphabet-unknown", "  JWT_SECRET: { length: 64,", "  JWT_SECRET: { length: 64, alphabet: emoji,"),
    ("length-string", "  JWT_SECRET: { length: 64,", "  JWT_SECRET: { length: long,"),
    ("method-lowercase", "    methods: [GET, HEAD, OPTIONS]\n", "    methods: [get, HEAD, OPTIONS]\n"),
    ("method-unknown", "    methods: [GET, HEAD, OPTIONS]\n", "    methods: [GET, HEAD, TRACE]\n"),
    ("preset-unknown", "    security_headers: api", "    security_headers: paranoid"),
    ("drives-string", "    drives: 4", "    drives: four"),
    ("drives-negative", "    drives: 4", "    drives: -4"),
    ("uid-negative", "    uid: 1001\n    port: 3000\n    health_path: /health", "    uid: -1\n    port: 3000\n    health_path: /health"),
    ("base-huge", "base: 165536", "base: 99999999999"),
    ("enabled-string", "enabled: true, base", "enabled: maybe, base"),
    ("internal-string", "  banatie-internal: { internal: true }", "  banatie-internal: { internal: yes }"),
    ("stack-string", "stack:\n  name: banatie\n", "stack: banatie\nstack2:\n  name: banatie\n"),
    ("sql-ident-upper", "    user: banatie_user", "    user: Banatie_User"),
    ("sql-ident-dash", "    database: banatie_db", "    database: banatie-db"),
    ("version-string", "    image: postgres:15-alpine\n", "    image: postgres:15-alpine\n    version: fifteen\n"),
    ("expire-negative", "expire_days: 7", "expire_days: -7"),
    ("publish-port-zero", "    networks: [banatie-internal]\n\n  banatie-minio:", "    networks: [banatie-internal]\n    publish: [{ host: 0, container: 5432 }]\n\n  banatie-minio:"),
    ("task-unknown", "    task: { storage_init: { minio: banatie-minio } }", "    task: { rebalance: { minio: banatie-minio } }"),
    ("task-two-variants", "    task: { storage_init: { minio: banatie-minio } }", "    task: { storage_init: { minio: banatie-minio }, command: { argv: [x] } }"),
    ("task-argv-empty", "    task: { storage_init: { minio: banatie-minio } }", "    task: { command: { argv: [] } }"),
    ("task-argv-blank-program", "    task: { storage_init: { minio: banatie-minio } }", "    task: { migrate: { app: banatie-api, argv: [\" \", db:push] } }"),
]
for name, old, new in bad_values:
    edit(name, old, new, "BI102")

# --- missing keys (BI103) -------------------------------------------------------------
edit("missing-stack-name", "stack:\n  name: banatie\n", "stack:\n", "BI103")
edit("missing-kind", "  banatie-landing:\n    kind: app\n", "  banatie-landing:\n", "BI103")
edit("missing-dockerfile", "build: { dockerfile: apps/landing/Dockerfile }", "build: { target: x }", "BI103")
edit("missing-site-service", "    service: banatie-api\n", "", "BI103")
edit("missing-job-task", "    task: { storage_init: { minio: banatie-minio } }\n", "", "BI103")
edit("missing-lifecycle-id", "{ id: temp-cleanup, prefix: temp/, expire_days: 7 }", "{ prefix: temp/, expire_days: 7 }", "BI103")
edit("missing-mount-target", "{ source: logs/api, target: /app/apps/api-service/logs }", "{ source: logs/api }", "BI103")
raw("services-list.yaml", "stack: {name: demo}\nservices: [a, b]\n", "BI102")
raw("sites-map.yaml", "stack: {name: demo}\nservices: {}\nsites: {landing: {domains: [a.example.com]}}\n", "BI102")
raw("missing-services.yaml", "stack: {name: demo}\n", "BI103")

# --- semantic rules (BI1xx-BI5xx) -----------------------------------------------------
edit("ref-network", "    networks: [banatie-internal]\n\n  banatie-minio:", "    networks: [banatie-internal, backend]\n\n  banatie-minio:", "BI110")
edit("ref-dependency", "      banatie-postgres: healthy\n    environment:\n      IS_DOCKER", "      banatie-db: healthy\n    environment:\n      IS_DOCKER", "BI110")
edit("ref-site-service", "    service: banatie-api\n", "    service: banatie-apis\n", "BI110")
edit("site-port", "    port: 9001\n", "    port: 9002\n", "BI111")
edit("cycle", "    task: { storage_init: { minio: banatie-minio } }\n    networks: [banatie-internal]\n    depends_on:\n      banatie-minio: healthy",
     "    task: { storage_init: { minio: banatie-minio } }\n    networks: [banatie-internal]\n    depends_on:\n      banatie-minio: healthy\n      banatie-api: started", "BI112")
edit("no-build-context", "  source: /home/usul/workspace/projects/banatie-service\n", "", "BI113")
edit("secret-twice", "  JWT_SECRET: { length: 64,", "  DATABASE_URL: {}\n  JWT_SECRET: { length: 64,", "BI114")
edit("missing-required-secret", "  POSTGRES_PASSWORD: { length: 32, description: PostgreSQL password of banatie_user }\n", "", "BI114")
edit("healthy-job", "      banatie-storage-init: completed", "      banatie-storage-init: healthy", "BI115")
edit("completed-server", "      banatie-postgres: healthy\n      banatie-minio: healthy", "      banatie-postgres: completed\n      banatie-minio: healthy", "BI116")
edit("no-networks", "    task: { storage_init: { minio: banatie-minio } }\n    networks: [banatie-internal]\n", "    task: { storage_init: { minio: banatie-minio } }\n", "BI117")
edit("two-postgres", "  banatie-minio:\n    kind: minio", "  banatie-postgres2:\n    kind: postgres\n    data: data/pg2\n    networks: [banatie-internal]\n\n  banatie-minio:\n    kind: minio", "BI118")
edit("secret-in-env", "  DEFAULT_USER_ID: guest\n", "  DEFAULT_USER_ID: guest\n  API_TOKEN: abc\n", "BI201")
edit("secret-ref-in-env", "  DEFAULT_USER_ID: guest\n", "  DEFAULT_USER_ID: guest\n  DB: \"x${POSTGRES_PASSWORD}\"\n", "BI201")
edit("placeholder", "  DEFAULT_USER_ID: guest\n", "  DEFAULT_USER_ID: \"<your_user>\"\n", "BI202")
edit("placeholder-changeme", "  DEFAULT_USER_ID: guest\n", "  DEFAULT_USER_ID: changeme\n", "BI202")
edit("publish-postgres", "    user: banatie_user\n", "    user: banatie_user\n    publish: [{ host: 5432, container: 5432 }]\n", "BI203")
edit("postgres-on-proxy", "    user: banatie_user\n    networks: [banatie-internal]", "    user: banatie_user\n    networks: [banatie-internal, proxy-network]", "BI204")
edit("short-secret", "  SESSION_SECRET: { length: 32,", "  SESSION_SECRET: { length: 8,", "BI206")
edit("curl-probe", "    health_path: /health\n", "    health_path: /health\n    probe: curl\n", "BI301")
edit("unknown-base-auto", "    base_image: node:20-alpine\n    uid: 1001\n    port: 3000\n    health_path: /health", "    base_image: example/base:1\n    uid: 1001\n    port: 3000\n    health_path: /health", "BI305")
edit("retries-zero", "health: { start_period: 60s }", "health: { start_period: 60s, retries: 0 }", "BI306")
edit("timeout-over-interval", "health: { start_period: 60s }", "health: { interval: 5s, timeout: 20s }", "BI306")
edit("dup-domain", "  - domains: [api.banatie.app]", "  - domains: [banatie.app]", "BI401")
edit("cdn-all-methods", "    methods: [GET, HEAD, OPTIONS]\n    cors:", "    cors:", "BI402")
edit("cdn-put", "    methods: [GET, HEAD, OPTIONS]\n    cors:", "    methods: [GET, PUT]\n    cors:", "BI402")
edit("empty-domains", "  - domains: [api.banatie.app]", "  - domains: []", "BI403")
edit("shared-log", "access_log: { file: api-access.log }", "access_log: { file: landing-access.log }", "BI403")
edit("bad-cors-origin", "      origin: \"*\"", "      origin: \"https://x.example/path\"", "BI405")
edit("one-drive", "    drives: 4", "    drives: 1", "BI501")
edit("seventeen-drives", "    drives: 4", "    drives: 17", "BI501")
edit("lifecycle-empty-prefix", "prefix: temp/, expire_days: 7", "prefix: \"\", expire_days: 7", "BI502")
edit("lifecycle-zero-days", "expire_days: 7", "expire_days: 0", "BI503")
edit("shared-mount", "{ source: data/waitlist-logs, target: /app/waitlist-logs }", "{ source: data/postgres, target: /app/waitlist-logs }", "BI504")
edit("public-prefix-no-slash", "    public_read_prefix: public/", "    public_read_prefix: public", "BI505")
edit("pg-version-mismatch", "    image: postgres:15-alpine\n", "    image: postgres:16-alpine\n    version: 15\n", "BI506")

# Huge inputs (10,000 services, a 2 MB value) are generated by the test itself.

# --- hand-written files (audited): a directory each, `name/file` -> code -------------
hand = []  # (dir, {file: text}, code)
C = "services:\n"
hand.append(("compose-syntax", {"docker-compose.yml": "services:\n  a: [\n"}, "BI100"))
hand.append(("compose-unset-var", {"docker-compose.yml": C + "  db:\n    image: postgres:15.8-alpine\n    env_file: [secrets.env]\n    environment:\n      POSTGRES_PASSWORD: ${POSTGRES_PASSWORD}\n", "secrets.env": "POSTGRES_PASSWORD='x9Fk2LmQ7'\n"}, "BI307"))
hand.append(("compose-lone-dollar", {"docker-compose.yml": C + "  app:\n    image: example/app:1.0\n    environment:\n      MINIO_ROOT_PASSWORD: Xy7$Qa9k2pLm\n"}, "BI308"))
hand.append(("env-dollar", {"docker-compose.yml": C + "  app:\n    image: example/app:1.0\n    env_file: [app.env]\n", "app.env": "HASH=$2b$12$abcdefghij\n"}, "BI309"))
hand.append(("env-unterminated", {"docker-compose.yml": C + "  app:\n    image: example/app:1.0\n    env_file: [app.env]\n", "app.env": "A='open\n"}, "BI314"))
hand.append(("env-missing", {"docker-compose.yml": C + "  app:\n    image: example/app:1.0\n    env_file: [missing.env]\n"}, "BI314"))
hand.append(("caddy-unbalanced", {"Caddyfile": "a.example.com {\n\treverse_proxy app:3000\n"}, "BI314"))
hand.append(("caddy-cdn-writes", {"docker-compose.yml": C + "  storage:\n    image: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\n    command: server /data{1...4}\n    volumes: [./d1:/data1, ./d2:/data2, ./d3:/data3, ./d4:/data4]\n", "Caddyfile": "cdn.example.com {\n\treverse_proxy storage:9000\n}\n"}, "BI402"))
hand.append(("script-or-echo", {"init.sh": "#!/bin/sh\nset -eu\nmc mb local/x || echo exists\n"}, "BI312"))
hand.append(("script-no-set-e", {"deploy.sh": "#!/bin/sh\ndocker compose pull\ndocker compose up -d\n"}, "BI312"))
hand.append(("script-mc-policy", {"init.sh": "#!/bin/sh\nset -eu\nmc policy set download local/media\n"}, "BI507"))
hand.append(("script-mc-config-host", {"init.sh": "#!/bin/sh\nset -eu\nmc config host add s3 http://s3:9000 a b\n"}, "BI507"))
hand.append(("backup-redirect", {"backup.sh": "#!/bin/sh\nset -eu\nmkdir -p /srv/b\ndocker exec db pg_dump -U app app > /srv/b/app.sql\n"}, "BI508"))
hand.append(("backup-tty", {"backup.sh": "#!/bin/sh\nset -eu\nmkdir -p /srv/b\ndocker exec -t db pg_dump -U app app | gzip > /srv/b/app.tmp && mv /srv/b/app.tmp /srv/b/app.sql.gz\n"}, "BI508"))
hand.append(("compose-curl-alpine", {"docker-compose.yml": C + "  web:\n    image: node:20-alpine\n    healthcheck:\n      test: [\"CMD\", \"curl\", \"-f\", \"http://127.0.0.1:3000/\"]\n"}, "BI301"))
hand.append(("compose-localhost-busybox", {"docker-compose.yml": C + "  web:\n    image: node:20-alpine\n    healthcheck:\n      test: [\"CMD\", \"wget\", \"-q\", \"--spider\", \"http://localhost:3000/\"]\n"}, "BI302"))
hand.append(("compose-healthy-no-check", {"docker-compose.yml": C + "  db:\n    image: postgres:15.8-alpine\n  api:\n    image: example/api:1.0\n    depends_on:\n      db:\n        condition: service_healthy\n"}, "BI115"))
hand.append(("compose-internal-port", {"docker-compose.yml": C + "  db:\n    image: postgres:15.8-alpine\n    networks: [back]\n    ports: [\"5432:5432\"]\nnetworks:\n  back:\n    internal: true\n"}, "BI203"))
hand.append(("compose-drive-unmounted", {"docker-compose.yml": C + "  storage:\n    image: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\n    command: server /data{1...4}\n    volumes: [./data:/data1]\n"}, "BI512"))
hand.append(("compose-one-drive", {"docker-compose.yml": C + "  storage:\n    image: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\n    command: server /data{1...1}\n    volumes: [./data:/data1]\n"}, "BI501"))
hand.append(("sql-pg15-public", {"docker-compose.yml": C + "  db:\n    image: postgres:15.8-alpine\n    environment: { POSTGRES_USER: postgres, POSTGRES_DB: app }\n    volumes: [./db:/docker-entrypoint-initdb.d:ro]\n", "db/01.sql": "CREATE ROLE app_user LOGIN;\nGRANT ALL PRIVILEGES ON DATABASE app TO app_user;\n"}, "BI510"))
hand.append(("url-not-encoded", {"docker-compose.yml": C + "  api:\n    image: example/api:1.0\n    env_file: [secrets.env]\n", "secrets.env": "DATABASE_URL=postgresql://u:ab/cd+ef=@db:5432/app\n"}, "BI208"))
hand.append(("init-job-race", {"docker-compose.yml": C + "  storage:\n    image: quay.io/minio/minio:RELEASE.2025-04-22T22-12-26Z\n    command: server /data{1...2}\n    volumes: [./d1:/data1, ./d2:/data2]\n  init:\n    image: minio/mc:RELEASE.2025-04-16T18-13-26Z\n    depends_on: [storage]\n    entrypoint: [\"/bin/sh\", \"-euc\", \"mc mb --ignore-existing s/x\"]\n"}, "BI310"))
hand.append(("secret-in-compose", {"docker-compose.yml": C + "  db:\n    image: postgres:15.8-alpine\n    environment:\n      POSTGRES_PASSWORD: Tr0ub4dor-and-3\n"}, "BI201"))
hand.append(("env-value-retyped", {"docker-compose.yml": C + "  api:\n    image: example/api:1.0\n    environment:\n      MAX_UPLOAD_BYTES: 10_000_000\n"}, "BI315"))
hand.append(("placeholder-in-env", {"docker-compose.yml": C + "  api:\n    image: example/api:1.0\n    env_file: [secrets.env]\n", "secrets.env": "GEMINI_API_KEY=your_actual_key_here\n"}, "BI202"))

OUT.mkdir(parents=True, exist_ok=True)
import shutil
for f in OUT.iterdir():
    if f.is_dir():
        shutil.rmtree(f)
    else:
        f.unlink()
for d, files, code in hand:
    for name, text in files.items():
        path = OUT / "hand" / d / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
with open(OUT / "hand-expected.tsv", "w") as idx:
    idx.write("# directory\tcode (generated by scripts/gen-bad-inputs.py; audited as a deployment directory)\n")
    for d, _, code in hand:
        idx.write(f"hand/{d}\t{code}\n")
names = set()
with open(OUT / "expected.tsv", "w") as idx:
    idx.write("# file\tcode (generated by scripts/gen-bad-inputs.py)\n")
    for name, data, code in cases:
        assert name not in names, name
        names.add(name)
        (OUT / name).write_bytes(data)
        idx.write(f"{name}\t{code}\n")
print(f"{len(cases)} bad specs and {len(hand)} hand-written deployments in {OUT.relative_to(ROOT)}")
