import os
from collections.abc import Callable, Mapping, Sequence
from typing import Any, ClassVar, Literal, TypedDict, final

__version__: str
__all__ = [
    "__version__",
    "BackupError",
    "BanatieInfraError",
    "Diagnostic",
    "DockerError",
    "FileError",
    "LockError",
    "RotateError",
    "Rule",
    "SecretsError",
    "Spec",
    "SpecError",
    "UpError",
    "WaitError",
    "backup_db",
    "deploy",
    "drift",
    "generate_secrets",
    "json_schema",
    "load",
    "loads",
    "plan",
    "read_secret",
    "releases",
    "rollback",
    "rotate_secret",
    "rule",
    "rules",
    "status",
    "up",
    "wait",
]

_StrPath = str | os.PathLike[str]

class _DiagnosticDict(TypedDict):
    code: str
    severity: Literal["error", "warning"]
    path: str
    message: str
    help: str | None
    file: str | None
    line: int | None
    column: int | None

class _SecretsReport(TypedDict):
    generated: list[str]
    derived: list[str]
    kept: list[str]
    missing: list[str]
    unknown: list[str]
    service_files: list[str]

class _ContainerState(TypedDict):
    id: str
    name: str
    state: str
    health: str | None
    last_health_output: str | None
    restart_count: int
    last_start_secs: int | None
    unhealthy_since_secs: int | None
    failing_streak: int
    uptime_secs: int | None
    image: str
    networks: list[str]
    exit_code: int | None

class _ServiceStatusRequired(TypedDict):
    service: str
    kind: Literal["app", "postgres", "minio", "job", "worker", "service"]
    verdict: Literal["ok", "starting", "unhealthy", "missing", "down", "crash_loop"]
    container: _ContainerState | None

class _ServiceStatus(_ServiceStatusRequired, total=False):
    detail: str

class _PlanStepRequired(TypedDict):
    action: Literal[
        "create_network", "pull", "build", "create", "recreate", "rollout", "start", "restart", "keep"
    ]

class _PlanStep(_PlanStepRequired, total=False):
    service: str
    network: str
    internal: bool
    image: str
    reason: str
    because: str

class _UpResult(TypedDict):
    noop: bool
    actions: list[_PlanStep]
    release: str | None

class _StepEvent(TypedDict):
    event: Literal["step"]
    step: _PlanStep

class _BuildOutputEvent(TypedDict):
    event: Literal["build_output"]
    service: str
    line: str

class _PullEvent(TypedDict):
    event: Literal["pull"]
    service: str
    image: str
    layer: str
    status: str
    current: int
    total: int | None

class _LeftoverEvent(TypedDict):
    event: Literal["leftover"]
    outcome: Literal["removed", "finished"]
    container: str

class _RecordedEvent(TypedDict):
    event: Literal["recorded"]
    release: str

class _SwitchedEvent(TypedDict):
    event: Literal["switched"]
    service: str
    healthy_after: float
    drain: float

class _ReadyEvent(TypedDict):
    event: Literal["ready"]
    service: str
    seconds: float

_UpEvent = (
    _StepEvent | _BuildOutputEvent | _PullEvent | _LeftoverEvent | _RecordedEvent | _SwitchedEvent | _ReadyEvent
)

class _ReleaseImage(TypedDict):
    image: str
    image_id: str
    digests: list[str]
    pin: str

class _ReleaseRequired(TypedDict):
    id: str
    created: int
    who: str
    host: str
    verb: str
    spec_hash: str
    services: dict[str, _ReleaseImage]

class _Release(_ReleaseRequired, total=False):
    rollback_of: str

class _RollbackResult(TypedDict):
    target: str
    release: str | None
    actions: list[_PlanStep]

class _DatabasePasswordRotation(TypedDict):
    kind: Literal["database_password"]
    service: str
    role: str

class _ServiceAccountKeyRotation(TypedDict):
    kind: Literal["service_account_key"]
    service: str
    jobs: list[str]

class _ValueRotation(TypedDict):
    kind: Literal["value"]
    supplied: bool

class _RotateResult(TypedDict):
    secret: str
    rotation: _DatabasePasswordRotation | _ServiceAccountKeyRotation | _ValueRotation
    derived: list[str]
    redeployed: list[str]
    actions: list[_PlanStep]
    reverted: str | None

class BanatieInfraError(Exception):
    """The root of every exception this module raises.

    A panic inside the Rust core (a bug: please report it) is raised as
    ``BanatieInfraError("internal error: ...")``.

    Example::

        try:
            banatie_infra.load("stack.yaml").render()
        except banatie_infra.BanatieInfraError as e:
            print(f"cannot render: {e}")
    """

class SpecError(BanatieInfraError, ValueError):
    """The spec is wrong: it does not parse, does not match the spec's types (an unknown key,
    a wrong type, a missing key), has an unknown file extension, or has validation errors
    (raised by ``render``, ``render_to`` and ``generate_secrets``). A ``ValueError``.

    Attributes:
        diagnostics (list[Diagnostic]): every finding (for ``render``: warnings too).
        code (str): the first error's stable code, for example ``"BI101"``.
        path (str): the first error's JSON pointer into the spec.
        line (int | None): the first error's 1-based line, when known.
        column (int | None): the first error's 1-based column, when known.

    Example::

        try:
            banatie_infra.loads("stack: {nmae: demo}\\nservices: {}\\n")
        except banatie_infra.SpecError as e:
            print(e.code, e.line, e.column)  # BI101 1 9
    """
    diagnostics: list[Diagnostic]
    code: str
    path: str
    line: int | None
    column: int | None

class FileError(BanatieInfraError, OSError):
    """A local file cannot be read or written: the spec file given to ``load``, a file of the
    bundle written by ``render_to``, ``secrets.env``. An ``OSError``: ``errno``,
    ``strerror`` and ``filename`` are set when the operating system gave an error number.

    Example::

        try:
            banatie_infra.load("missing.yaml")
        except banatie_infra.FileError as e:
            print(e.errno, e.filename)  # 2 missing.yaml
    """

class SecretsError(BanatieInfraError):
    """``secrets.env`` cannot be used: group or others may read it (mode wider than
    0600), it is not a regular file (a symlink, a directory), it does not parse, or it
    defines a variable twice. The message names the file and line, never a value.

    Example::

        try:
            banatie_infra.generate_secrets(spec, "/opt/banatie")
        except banatie_infra.SecretsError as e:
            print(e)  # /opt/banatie/secrets.env has mode 0644: ...
    """

class DockerError(BanatieInfraError):
    """The Docker engine is unreachable (``DOCKER_HOST``, default
    ``unix:///var/run/docker.sock``), refuses access, speaks an API older than 1.41,
    or fails a request; or a service has no container.

    Example::

        try:
            banatie_infra.status(spec)
        except banatie_infra.DockerError as e:
            print(e)  # no Docker engine at unix:///var/run/docker.sock: ...
    """

class WaitError(DockerError):
    """``wait`` gave up: a service reached a state it cannot leave by itself (a job
    exited non-zero, a container exited or is unhealthy), or the timeout passed first.

    Attributes: ``service`` (str, the service), ``timed_out`` (bool), ``output``
    (str or None: the last health-check output).

    Example::

        try:
            banatie_infra.wait(spec, timeout=60)
        except banatie_infra.WaitError as e:
            print(e.service, e.timed_out, e.output)
    """
    service: str
    output: str | None
    timed_out: bool

class UpError(DockerError):
    """``up``, ``deploy`` or ``rollback`` stopped: a service failed (a job exited
    non-zero, a container stopped or is unhealthy, a health check timed out, a new
    container of a rollout failed while the old one still serves), an image could not
    be pulled or built, or a file of the root is missing.

    Attributes: ``service`` (str or None: the service that failed).

    Example::

        try:
            banatie_infra.deploy(spec, build=True)
        except banatie_infra.UpError as e:
            print(e.service, e)
    """
    service: str | None

class LockError(BanatieInfraError):
    """Another run held the deployment root's lock (or the stack's engine-wide lock) for
    the whole ``lock_wait``; the message names it (pid, host, verb, since when; BI705).

    Example::

        try:
            banatie_infra.up(spec, lock_wait=0)
        except banatie_infra.LockError as e:
            print(e)  # /opt/shop/.banatie-infra.lock is held by `banatie-infra deploy` ...
    """

class RotateError(BanatieInfraError):
    """``rotate_secret`` refused (nothing changed) or failed at a step.

    Attributes: ``step`` (str or None: ``"files"``, ``"database"`` or ``"deploy"``
    for a failed step, None for a refusal), ``restored`` (bool or None: whether the old
    value was put back after a failed step).

    Example::

        try:
            banatie_infra.rotate_secret(spec, "POSTGRES_PASSWORD")
        except banatie_infra.RotateError as e:
            print(e.step, e.restored)
    """
    step: str | None
    restored: bool | None

class BackupError(BanatieInfraError):
    """A backup failed: the spec has no PostgreSQL service, the destination cannot be
    written, ``pg_dump`` failed (its stderr is in the message), or the dump does not
    verify. No partial file is left at a final path. An engine failure raises
    ``DockerError`` instead.

    Example::

        try:
            banatie_infra.backup_db(spec, "/var/backups/banatie")
        except banatie_infra.BackupError as e:
            print(e)
    """

@final
class Rule:
    """One rule of the registry, as ``banatie-infra rules CODE`` prints it. Frozen;
    rules compare equal by value and are hashable. ``str(r)`` is the whole rule as one
    Markdown document.

    Attributes:
        code (str): the stable code, for example ``"BI301"``.
        name (str): the stable kebab-case name, ``"healthcheck-binary-missing"``.
        severity (str): ``"error"`` or ``"warning"``.
        family (str): ``"spec"``, ``"limits"``, ``"secrets"``, ``"health"``,
            ``"sites"``, ``"storage"``, ``"live"`` or ``"files"``.
        summary (str): one line: what the rule finds.
        explanation (str): Markdown: what it finds, why it matters, an example that
            fails and one that passes.
        markdown (str): the heading, severity, family, summary and explanation together.

    Example:
        >>> r = banatie_infra.rule("bi301")
        >>> r.code, r.name, r.severity
        ('BI301', 'healthcheck-binary-missing', 'error')
    """
    @property
    def code(self) -> str:
        """The stable code, for example ``"BI301"``."""
    @property
    def name(self) -> str:
        """The stable kebab-case name."""
    @property
    def severity(self) -> Literal["error", "warning"]:
        """The severity the rule reports at."""
    @property
    def family(self) -> Literal["spec", "limits", "secrets", "health", "sites", "storage", "live", "files"]:
        """The family: the hundreds of the code."""
    @property
    def summary(self) -> str:
        """One line: what the rule finds."""
    @property
    def explanation(self) -> str:
        """Markdown: why it matters, a failing example, a passing one."""
    @property
    def markdown(self) -> str:
        """The whole rule as one Markdown document."""
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Diagnostic:
    """One finding of ``Spec.validate()`` or ``drift()``, or of a ``SpecError``.

    Attributes:
        code (str): the stable code, for example ``"BI101"`` (``BI1xx`` spec structure,
            ``BI2xx`` security, ``BI3xx`` Compose, ``BI4xx`` sites, ``BI5xx`` storage and
            database, ``BI6xx`` drift of the running stack).
        severity (str): ``"error"`` (stops rendering) or ``"warning"``.
        path (str): the JSON pointer (RFC 6901) into the spec, for example
            ``"/services/web/port"``; ``""`` for the whole spec.
        message (str): what is wrong. Never contains a secret value.
        help (str | None): how to fix it, when there is a clear fix.
        file (str | None): the file the spec was loaded from (``"<input>"`` for
            ``loads``, ``"<value>"`` in the ``SpecError`` of ``Spec.from_dict``);
            ``None`` for the findings on a spec made by ``Spec.from_dict``.
        line (int | None): the 1-based line, when known.
        column (int | None): the 1-based column in characters, when known.

    Diagnostics compare equal by value and are hashable. ``str(d)`` is one line:
    ``file:line:column: error[CODE]: message (at /pointer; help: ...)``.

    Example:
        >>> spec = banatie_infra.loads("stack: {name: demo}\\nservices: {}\\n")
        >>> for d in spec.validate():
        ...     print(d.severity, d.code, d.path, d.line, d.message)
    """
    @property
    def code(self) -> str:
        """The stable code, for example ``"BI101"``."""
    @property
    def severity(self) -> Literal["error", "warning"]:
        """``"error"`` or ``"warning"``."""
    @property
    def path(self) -> str:
        """The JSON pointer (RFC 6901) into the spec; ``""`` for the whole spec."""
    @property
    def message(self) -> str:
        """What is wrong; never contains a secret value."""
    @property
    def help(self) -> str | None:
        """How to fix it, when there is a clear fix."""
    @property
    def file(self) -> str | None:
        """The file the spec was loaded from, when known."""
    @property
    def line(self) -> int | None:
        """The 1-based line, when known."""
    @property
    def column(self) -> int | None:
        """The 1-based column in characters, when known."""
    def to_dict(self) -> _DiagnosticDict:
        """The diagnostic as a plain dict, as the CLI's ``--format json`` writes it, but
        with every key present (``None`` when unknown) and the pointer under ``"path"``.

        Returns:
            dict[str, str | int | None]: keys ``code``, ``severity``, ``path``,
            ``message``, ``help``, ``file``, ``line``, ``column``.

        Example:
            >>> import json
            >>> print(json.dumps([d.to_dict() for d in spec.validate()]))
        """
    def __eq__(self, other: object, /) -> bool: ...
    def __hash__(self) -> int: ...

@final
class Spec:
    """A deployment spec: loaded by ``load``/``loads`` or built by ``Spec.from_dict``.

    Immutable. A spec loaded from text remembers where each value was written, so the
    diagnostics of ``validate()`` (and of a ``SpecError`` from ``render()``) carry the
    file, line and column. Specs compare equal when their contents are equal, wherever
    they came from.

    Example:
        >>> spec = banatie_infra.load("examples/banatie.yaml")
        >>> errors = [d for d in spec.validate() if d.severity == "error"]
        >>> files = spec.render()  # {"docker-compose.yml": b"...", ...}
        >>> spec.render_to("/opt/banatie")
        [('docker-compose.yml', 'created'), ('.env', 'created'), ...]
    """
    __hash__: ClassVar[None]  # type: ignore[assignment]
    def to_dict(self) -> dict[str, Any]:
        """The spec as plain Python data (dicts, lists, strings, numbers, booleans, None),
        with every default filled in; ``Spec.from_dict`` reads it back.

        Returns:
            dict[str, Any]: the spec, in the shape of ``json_schema()``.

        Example:
            >>> d = spec.to_dict()
            >>> d["stack"]["name"]
            'banatie'
            >>> banatie_infra.Spec.from_dict(d) == spec
            True
        """
    def to_json(self) -> str:
        """The spec as pretty-printed JSON text (two-space indent, no trailing newline),
        with every default filled in; ``loads(text, format="json")`` reads it back.

        Returns:
            str: the JSON text.

        Example:
            >>> text = spec.to_json()
            >>> banatie_infra.loads(text, format="json") == spec
            True
        """
    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Spec:
        """Builds a spec from plain Python data (for example ``json.load``'s result, or
        ``Spec.to_dict()``), with the same checks as ``load``.

        Args:
            d (Mapping[str, Any]): the spec as nested dicts, lists, strings, numbers,
                booleans and None.

        Returns:
            Spec: the spec. Its diagnostics have a JSON pointer but no file or line.

        Raises:
            SpecError: the data does not match the spec's types (``BI101`` unknown key,
                ``BI102`` wrong type or value, ``BI103`` missing key).
            TypeError: a value has no JSON equivalent (a set, a datetime, ...).

        Example:
            >>> spec = banatie_infra.Spec.from_dict({"stack": {"name": "demo"}, "services": {}})
        """
    def validate(self) -> list[Diagnostic]:
        """Checks the spec: every rule of ``banatie-infra validate``.

        Returns:
            list[Diagnostic]: errors and warnings in rule order; empty when the spec is
            clean. A spec with errors cannot be rendered.

        Example:
            >>> [d.code for d in spec.validate() if d.severity == "error"]
            []
        """
    def render(self) -> dict[str, bytes]:
        """Renders every file of the deployment, in memory, byte for byte as
        ``banatie-infra render`` writes them (``secrets.env`` is never rendered).

        Returns:
            dict[str, bytes]: each file's bytes by its ``/``-separated path relative to
            the deployment root, in the CLI's order (``docker-compose.yml`` first).

        Raises:
            SpecError: the spec has validation errors; ``.diagnostics`` holds all
                findings (warnings too).

        Example:
            >>> files = spec.render()
            >>> b"pg_isready" in files["docker-compose.yml"]
            True
        """
    def render_to(
        self, dir: _StrPath, *, force: bool = False
    ) -> list[tuple[str, Literal["created", "updated", "unchanged"]]]:
        """Renders the deployment and writes it under ``dir`` like ``banatie-infra render
        -o DIR``: each file atomically (temporary file, fsync, rename; its mode set at
        creation), unchanged files left alone, ``secrets.env`` never touched. ``dir`` is
        created when missing.

        Args:
            dir (str | os.PathLike[str]): the deployment root to write.
            force (bool): also write into a non-empty directory that holds no bundle
                (default ``False``).

        Returns:
            list[tuple[str, str]]: ``(relative path, outcome)`` per file, in bundle order;
            the outcome is ``"created"``, ``"updated"`` or ``"unchanged"``.

        ``force=True`` writes into an existing non-empty directory that is not a bundle
        (``render --force``); a system directory (``/``, ``/etc``, ...) is always refused.

        Raises:
            SpecError: the spec has validation errors (nothing is written).
            FileError: a file cannot be written (files written before it stay complete;
                none is partial), or ``dir`` is refused as a root (BI702, BI703: nothing
                is written).

        Example:
            >>> spec.render_to("/tmp/banatie")
            [('docker-compose.yml', 'created'), ('.env', 'created'), ...]
        """
    def __eq__(self, other: object, /) -> bool: ...

def load(path: _StrPath) -> Spec:
    """Loads the spec at ``path``; the format comes from the extension (``.yaml``/``.yml``,
    ``.toml``, ``.json``).

    Args:
        path (str | os.PathLike[str]): the spec file.

    Returns:
        Spec: the spec, remembering its source for positioned diagnostics.

    Raises:
        FileError: the file cannot be read (an ``OSError``: ``errno``, ``filename``).
        SpecError: another extension, not UTF-8, a syntax error (``BI100``), an unknown
            key (``BI101``, with the closest valid key as help), a wrong type or value
            (``BI102``), a missing key (``BI103``), a duplicate key (``BI104``);
            ``.line`` and ``.column`` say where.

    Example:
        >>> spec = banatie_infra.load("examples/banatie.yaml")
        >>> spec
        <Spec 'banatie': 5 service(s) from 'examples/banatie.yaml'>
    """
def loads(text: str, format: str = "yaml", name: str = "<input>") -> Spec:
    """Loads a spec from text.

    Args:
        text (str): the spec.
        format (str): ``"yaml"`` (default; ``"yml"`` too), ``"toml"`` or ``"json"``.
        name (str): the file name diagnostics show (default ``"<input>"``).

    Returns:
        Spec: the spec, remembering the text for positioned diagnostics.

    Raises:
        SpecError: as for ``load``.
        ValueError: ``format`` is not one of the names above.

    Example:
        >>> spec = banatie_infra.loads('stack = { name = "demo" }\\nservices = {}\\n', format="toml")
    """
def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the spec, as ``banatie-infra schema`` prints it;
    descriptions come from the spec types' documentation.

    Returns:
        dict[str, Any]: the schema (``$id``, ``title``, ``properties``, ``$defs``, ...).

    Example:
        >>> import json
        >>> schema = banatie_infra.json_schema()
        >>> sorted(schema["properties"])[:3]
        ['backups', 'env', 'monitoring']
    """
def generate_secrets(spec: Spec, dir: _StrPath) -> _SecretsReport:
    """Creates or completes ``dir/secrets.env`` for ``spec``, like ``banatie-infra secrets``:
    mode 0600 from the moment the file exists (written atomically), every existing value
    kept byte for byte, each missing generated secret drawn from the OS random source,
    derived values (``DATABASE_URL``, with the password percent-encoded) recomputed, and
    operator-supplied secrets listed as missing, never invented. A file that group or
    others can read is refused. ``dir`` is created when missing.

    No value is ever returned: use ``read_secret`` to read one by name.

    Args:
        spec (Spec): the spec; it must have no validation errors.
        dir (str | os.PathLike[str]): the directory of ``secrets.env`` (the deployment
            root).

    Returns:
        dict[str, list[str]]: variable names by what happened to them: ``"generated"``
        (drawn now), ``"derived"`` (written or recomputed to a new value), ``"kept"``
        (already there, unchanged), ``"missing"`` (supplied by the operator and still
        missing or a placeholder: set them in the file), ``"unknown"`` (in the file, not
        in the spec; kept as they are), ``"service_files"`` (the per-service files
        ``secrets/<service>.env``, mode 0600, written or updated now: each service receives
        only its own).

    Raises:
        SpecError: the spec has validation errors (nothing is written).
        SecretsError: the existing file is readable by group or others, is not a regular
            file, does not parse, or defines a variable twice.
        FileError: the file or directory cannot be read or written.

    Example:
        >>> report = banatie_infra.generate_secrets(spec, "/opt/banatie")
        >>> report["generated"]
        ['POSTGRES_PASSWORD', 'MINIO_ROOT_PASSWORD', ...]
        >>> report["missing"]
        ['GEMINI_API_KEY']
    """
def read_secret(dir: _StrPath, name: str) -> str | None:
    """Reads one value from ``dir/secrets.env``, by name: the only function that returns a
    secret value.

    Args:
        dir (str | os.PathLike[str]): the directory of ``secrets.env``.
        name (str): the variable, for example ``"POSTGRES_PASSWORD"``.

    Returns:
        str | None: the value, or ``None`` when the file or the variable is missing.

    Raises:
        SecretsError: the file is readable by group or others, or does not parse.
        FileError: the file cannot be read.

    Example:
        >>> password = banatie_infra.read_secret("/opt/banatie", "POSTGRES_PASSWORD")
    """
def rules() -> list[Rule]:
    """Every rule of the registry, in code order, like ``banatie-infra rules``.

    Returns:
        list[Rule]: one per code (``BI100`` ... ``BI7xx``).

    Example:
        >>> errors = [r.code for r in banatie_infra.rules() if r.severity == "error"]
    """
def rule(code: str) -> Rule:
    """One rule, like ``banatie-infra rules CODE``.

    Args:
        code (str): the code, case-insensitive (``"BI301"``, ``"bi301"``).

    Returns:
        Rule: the rule, with its explanation.

    Raises:
        KeyError: no rule has the code; the message names the closest code.

    Example:
        >>> print(banatie_infra.rule("BI301").summary)
        a health check calls a binary the image does not ship
    """
def status(spec: Spec) -> list[_ServiceStatus]:
    """The state of every service of ``spec`` on the local Docker engine, like
    ``banatie-infra status --format json``. Containers are found by the labels the
    rendered Compose file sets (or by the service name).

    Args:
        spec (Spec): the spec.

    Returns:
        list[dict[str, Any]]: one dict per service, in spec order: ``service`` (str),
        ``kind`` (``"app"``, ``"postgres"``, ``"minio"``, ``"job"``, ``"worker"``, ``"service"``), ``verdict``
        (``"ok"``, ``"starting"``, ``"unhealthy"``, ``"missing"``, ``"down"``,
        ``"crash_loop"``), ``detail`` (str, only with ``"down"`` and ``"crash_loop"``:
        why), ``container`` (None, or a dict: ``id``, ``name``, ``state``, ``health``,
        ``last_health_output``, ``restart_count``, ``last_start_secs``,
        ``unhealthy_since_secs``, ``failing_streak``, ``uptime_secs``, ``image``,
        ``networks``, ``exit_code``).

    Raises:
        DockerError: no engine, permission denied, API older than 1.41, or an engine
            error.

    Example:
        >>> for s in banatie_infra.status(spec):
        ...     print(s["service"], s["verdict"], s["container"] and s["container"]["health"])
        banatie-postgres ok healthy
    """
def wait(
    spec: Spec, services: Sequence[str] | None = None, timeout: float = 300.0
) -> list[_ServiceStatus]:
    """Blocks until the services are ready, like ``banatie-infra wait``, polling every
    500 ms: a service with a health check is ``healthy``, one without is running, a job
    has exited 0. Raises as soon as a service cannot become ready by itself.

    Args:
        spec (Spec): the spec.
        services (Sequence[str] | None): the services to wait for; ``None`` (default)
            for all.
        timeout (float): give up after this many seconds (default 300).

    Returns:
        list[dict[str, Any]]: the status of every service when all wanted ones are
        ready, as ``status`` returns it.

    Raises:
        WaitError: a job exited non-zero, a container exited or is unhealthy
            (``timed_out`` False), or the timeout passed (``timed_out`` True);
            ``.service`` names it and ``.output`` has its last health-check output.
        DockerError: the engine failed, or a service name is not in the spec.
        ValueError: ``timeout`` is negative or not finite.

    Example:
        >>> banatie_infra.wait(spec, services=["banatie-postgres"], timeout=60)
    """
def drift(spec: Spec) -> list[Diagnostic]:
    """Compares the running engine with the spec, like ``banatie-infra drift``: missing or
    extra containers, images, networks (and whether they are internal), published ports,
    environment variable names (never values).

    Args:
        spec (Spec): the spec.

    Returns:
        list[Diagnostic]: one per difference (codes ``BI601``-``BI607``), with the
        spec's file and line when it was loaded from text; empty when the stack matches.

    Raises:
        DockerError: the engine failed.

    Example:
        >>> [d.code for d in banatie_infra.drift(spec) if d.severity == "error"]
        []
    """
def backup_db(spec: Spec, dest_dir: _StrPath) -> tuple[str, str]:
    """Dumps the stack's PostgreSQL database, like ``banatie-infra backup db --dir``:
    ``pg_dump --format=custom`` in its container, streamed to a temporary file in
    ``dest_dir``, checked (exit code, stderr, ``pg_restore --list``), fsynced, renamed to
    ``<database>_<UTC stamp>.dump`` with a ``.sha256`` sidecar; the oldest dumps beyond
    ``backups.keep`` are removed. ``dest_dir`` is created (mode 0700) when missing.

    Args:
        spec (Spec): the spec (it must have a PostgreSQL service, running).
        dest_dir (str | os.PathLike[str]): the backup directory.

    Returns:
        tuple[str, str]: the dump's path and its SHA-256 (lowercase hex).

    Raises:
        BackupError: no PostgreSQL service in the spec, ``dest_dir`` cannot be written,
            ``pg_dump`` failed, or the dump does not verify. No partial file remains.
        DockerError: the engine failed, or the container is missing or stopped.

    Example:
        >>> path, sha256 = banatie_infra.backup_db(spec, "/var/backups/banatie")
        >>> path
        '/var/backups/banatie/banatie_db_20260101T030000Z.dump'
    """
def plan(spec: Spec, root: _StrPath | None = None, deploy: bool = False) -> list[_PlanStep]:
    """What ``up`` or ``deploy`` would do, each step with its reason, like ``banatie-infra
    plan --format json``. Changes nothing.

    Args:
        spec (Spec): the spec.
        root (str | os.PathLike[str] | None): the deployment root (default: the spec's
            ``stack.root``).
        deploy (bool): the plan of ``deploy`` (changed services rolled start-first, the
            others' reasons saying why not). Default False.

    Returns:
        list[PlanStep]: one dict per step, networks first, then services in spec order:
        ``action`` (``"create_network"``, ``"pull"``, ``"build"``, ``"create"``,
        ``"recreate"``, ``"rollout"``, ``"start"``, ``"restart"``, ``"keep"``), and
        ``service``, ``network``, ``internal``, ``image``, ``reason`` or ``because`` as
        the action has them.

    Raises:
        DockerError: the engine failed, or a file of the root is missing (run ``render``
            and ``generate_secrets`` first).

    Example:
        >>> [s["action"] for s in banatie_infra.plan(spec, "/opt/shop")]
        ['keep', 'rollout', 'keep']
    """
def up(
    spec: Spec,
    root: _StrPath | None = None,
    timeout: float = 300.0,
    build: bool = False,
    pull: Literal["missing", "always", "never"] = "missing",
    lock_wait: float | None = None,
    on_event: Callable[[_UpEvent], object] | None = None,
) -> _UpResult:
    """Brings the stack to its spec and waits until every service is ready, like
    ``banatie-infra up --format json``: networks, images (built, or pulled with the
    Docker client's credentials as ``pull`` says), containers in dependency order,
    each ``depends_on`` condition honoured. Idempotent: a second run changes nothing.
    Holds the root's lock.

    Args:
        spec (Spec): the spec.
        root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
        timeout (float): seconds one service may take to become ready (default 300;
            more than 0).
        build (bool): build images even when they exist (default False).
        pull (str): ``"missing"`` (default), ``"always"`` or ``"never"``.
        lock_wait (float | None): seconds to wait for another run's lock (default
            ``BANATIE_LOCK_WAIT``, else 60).
        on_event (Callable[[UpEvent], object] | None): called with one dict per event:
            ``{"event": "step", "step": PlanStep}``, ``"build_output"`` (``service``,
            ``line``), ``"pull"`` (``service``, ``image``, ``layer``, ``status``,
            ``current``, ``total``), ``"ready"`` (``service``, ``seconds``),
            ``"switched"`` (``service``, ``healthy_after``, ``drain``), ``"leftover"``
            (``outcome``, ``container``), ``"recorded"`` (``release``). An exception it
            raises is raised when the operation has ended, noting whether it completed.

    Returns:
        UpResult: ``{"noop": bool, "actions": list[PlanStep], "release": str | None}``
        (the release recorded when something changed).

    Raises:
        UpError: a service failed (a job exited non-zero, a container stopped, a health
            check failed or timed out, a pull or build failed); ``.service`` names it.
        DockerError: the engine failed.
        LockError: another run held the root's lock for ``lock_wait`` (``BI705``).
        ValueError: a bad ``pull``, ``timeout`` or ``lock_wait``.
        TypeError: ``on_event`` is not callable (before anything runs).

    Example:
        >>> r = banatie_infra.up(spec, "/opt/shop", on_event=print)
        >>> r["noop"], r["release"]
        (False, '20261204T185303Z')
    """
def deploy(
    spec: Spec,
    root: _StrPath | None = None,
    timeout: float = 300.0,
    build: bool = False,
    pull: Literal["missing", "always", "never"] = "missing",
    drain: float = 3.0,
    lock_wait: float | None = None,
    on_event: Callable[[_UpEvent], object] | None = None,
) -> _UpResult:
    """Updates the stack without dropping requests, like ``banatie-infra deploy``: ``up``
    with each changed ``app``, ``worker`` or ``service`` rolled start-first (the new
    container starts beside the old one, takes traffic once its own health check
    passes, then the old one drains for ``drain`` seconds and stops). A new container
    that fails its check is removed and the old one keeps serving (``UpError``).

    Args:
        spec (Spec): the spec.
        root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
        timeout (float): seconds one service may take to become ready (default 300;
            more than 0).
        build (bool): build images even when they exist (default False).
        pull (str): ``"missing"`` (default), ``"always"`` or ``"never"``.
        drain (float): seconds the old container serves beside the new one (default 3).
        lock_wait (float | None): as ``up``.
        on_event (Callable[[UpEvent], object] | None): as ``up``.

    Returns:
        UpResult: as ``up``.

    Raises:
        UpError: as ``up``; a rollout whose new container failed says the old one
            still serves.
        DockerError: the engine failed.
        LockError: another run held the root's lock for ``lock_wait``.
        ValueError: a bad ``pull``, ``timeout``, ``drain`` or ``lock_wait``.
        TypeError: ``on_event`` is not callable (before anything runs).

    Example:
        >>> banatie_infra.deploy(spec, "/opt/shop", build=True, drain=1.0)["actions"][0]
        {'action': 'rollout', 'service': 'shop-api', 'reason': 'config changed: image'}
    """
def releases(root: _StrPath) -> list[_Release]:
    """The releases recorded under the root, newest first, like ``banatie-infra releases
    --format json`` (each ``up``, ``deploy``, ``rollback`` or rotation that changed
    something records one).

    Args:
        root (str | os.PathLike[str]): the deployment root.

    Returns:
        list[Release]: ``id``, ``created`` (Unix seconds), ``who``, ``host``, ``verb``,
        ``rollback_of`` (only on a rollback), ``spec_hash`` and ``services``
        (``{name: {"image", "image_id", "digests", "pin"}}``); the spec itself is left
        out.

    Raises:
        FileError: a release file is unreadable or not a release.

    Example:
        >>> [r["verb"] for r in banatie_infra.releases("/opt/shop")]
        ['rollback', 'deploy', 'deploy']
    """
def rollback(
    spec: Spec,
    release: str | None = None,
    root: _StrPath | None = None,
    timeout: float = 300.0,
    drain: float = 3.0,
    lock_wait: float | None = None,
    on_event: Callable[[_UpEvent], object] | None = None,
) -> _RollbackResult:
    """Returns the stack to a recorded release, like ``banatie-infra rollback``: its spec
    rendered into the root again (never ``secrets.env``), each service rolled onto the
    image tag the release kept, through ``deploy``'s start-first path. Records a
    release of its own. Holds the root's lock.

    Args:
        spec (Spec): the spec (for the stack's name and default root).
        release (str | None): the release id (default: the one before the newest).
        root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
        timeout (float): seconds one service may take to become ready (default 300;
            more than 0).
        drain (float): seconds the old container serves beside the new one (default 3).
        lock_wait (float | None): as ``up``.
        on_event (Callable[[UpEvent], object] | None): as ``up``.

    Returns:
        RollbackResult: ``{"target": str, "release": str | None, "actions":
        list[PlanStep]}`` (``release``: the one recorded for the rollback, None when
        nothing changed).

    Raises:
        FileError: no such release, or none before the newest.
        UpError: a service failed on the way back (the old containers still serve).
        DockerError: the engine failed.
        LockError: another run held the root's lock for ``lock_wait``.

    Example:
        >>> banatie_infra.rollback(spec)["target"]
        '20261204T020711Z'
    """
def rotate_secret(
    spec: Spec,
    name: str,
    root: _StrPath | None = None,
    value: str | None = None,
    allow_recreate: bool = False,
    timeout: float = 300.0,
    drain: float = 3.0,
    lock_wait: float | None = None,
    on_event: Callable[[_UpEvent], object] | None = None,
) -> _RotateResult:
    """Gives one secret of the running stack a new value without downtime, like
    ``banatie-infra secrets rotate NAME``: a PostgreSQL password is set with ``ALTER
    ROLE`` (a SCRAM verifier, never the password, reaches the server), a MinIO service
    account's key by its storage-init job, then every service that receives the
    secret (or a URL derived from it) rolls start-first. The old ``secrets.env`` is kept
    until the switch is confirmed and put back when a step fails. Holds the root's lock.

    Args:
        spec (Spec): the spec.
        name (str): the secret, a variable under the spec's ``secrets``.
        root (str | os.PathLike[str] | None): the deployment root (default: the spec's).
        value (str | None): the new value (required for a supplied secret; default: a
            new random value of the spec's length and alphabet).
        allow_recreate (bool): go on when a service that receives it cannot roll and is
            recreated (default False: refused).
        timeout (float): seconds one service may take to become ready (default 300;
            more than 0).
        drain (float): seconds an old container serves beside its new one (default 3).
        lock_wait (float | None): as ``up``.
        on_event (Callable[[UpEvent], object] | None): as ``up``.

    Returns:
        RotateResult: ``{"secret": str, "rotation": {"kind": "database_password",
        "service", "role"} | {"kind": "service_account_key", "service", "jobs"} |
        {"kind": "value", "supplied"}, "derived": list[str], "redeployed": list[str],
        "actions": list[PlanStep], "reverted": str | None}`` (``reverted``: an earlier
        rotation that did not finish, put back first). Names only, never a value.

    Raises:
        RotateError: refused (nothing changed: an unknown or derived secret, MinIO's
            root password, a stack with changes to deploy first, a service that cannot
            roll) or failed at a step (``.step``: ``"files"``, ``"database"``,
            ``"deploy"``; ``.restored``: whether the old value was put back).
        DockerError: the engine failed.
        LockError: another run held the root's lock for ``lock_wait``.
        SecretsError: ``secrets.env`` is unsafe or malformed.

    Example:
        >>> banatie_infra.rotate_secret(spec, "POSTGRES_PASSWORD")["redeployed"]
        ['shop-api', 'shop-migrate']
    """
