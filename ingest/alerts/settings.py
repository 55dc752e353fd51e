"""``[alerts]`` settings: which findings alert, how often, to which targets, with what retries.

Read in two steps: :func:`read_alerts` (called by the config loader, which hands it the
environment) picks the webhook targets and the values of every ``*_env`` variable into an
:class:`AlertsConfig`; :func:`parse_alert_settings` validates the rest into
:class:`AlertSettings`. Secrets live in fields with ``repr=False`` and are never
formatted into a message; targets are shown by :func:`mask_url` or by their name.
"""

from __future__ import annotations

import base64
import binascii
import difflib
import hashlib
import re
import ssl
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from ingest.errors import ConfigError
from ingest.settings_schema import Table, http_url_problem

if TYPE_CHECKING:  # for the accessor's annotation only: ingest.config imports this module
    from ingest.config import Config

FINDING_KINDS = ("new", "changed", "conflict", "revised")
Mode = Literal["immediate", "digest"]
Security = Literal["starttls", "tls", "none"]
_TARGET_NAME = re.compile(r"^[A-Za-z0-9][\w.:-]{0,63}$")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def mask_url(url: str) -> str:
    """A URL safe to show: scheme, host and port, then only the last 4 characters of the rest.

    Webhook URLs often carry their token in the path or query (Slack, Discord, Teams), so the
    path is elided: ``https://hooks.example.com/services/T0/B0/xyzab12`` ->
    ``https://hooks.example.com/…/ab12``. User info (``user:pass@``) is never shown.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "<invalid url>"
    if ":" in host:
        host = f"[{host}]"
    origin = f"{parts.scheme}://{host}" + (f":{port}" if port else "")
    rest = (parts.path + ("?" + parts.query if parts.query else "")).rstrip("/")
    if not rest:
        return origin + "/"
    return f"{origin}/…/{rest[-4:].lstrip('/')}"


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:6]


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str
    secret_env: str | None = None
    secret: str | None = field(default=None, repr=False)
    mode: str = "standard"  # "standard" (Standard Webhooks JSON) or "slack" (text)


@dataclass(frozen=True, slots=True)
class AlertsConfig:
    """``[alerts]`` as the loader read it: the webhook targets, and the rest for
    :func:`parse_alert_settings`.

    ``env`` holds the values of the variables the table names in ``*_env`` keys (SMTP login,
    Apprise URLs), resolved by the loader because only the loader reads the environment.
    """

    webhooks: tuple[WebhookTarget, ...] = ()
    raw: Mapping[str, Any] = field(default_factory=dict)  # the rest, read by the alerts stage
    # False for commands that only read the database: a secret variable that is not set is
    # then left unset instead of refusing the config (nothing is sent without it).
    strict: bool = True
    env: Mapping[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True, slots=True)
class Mute:
    """Findings matching every given field are not alerted (case-insensitive)."""

    subject: str | None = None
    metric: str | None = None
    kind: str | None = None


@dataclass(frozen=True, slots=True)
class AlertPolicy:
    """Which findings alert (see :func:`ingest.alerts.policy.should_alert`)."""

    kinds: frozenset[str] = frozenset(FINDING_KINDS)
    metrics: frozenset[str] = frozenset()  # empty: every catalogue metric
    min_change: float = 0.0  # |relative change| below this does not alert a "changed" finding
    thresholds: Mapping[str, float] = field(default_factory=dict)  # per metric key
    mutes: tuple[Mute, ...] = ()


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Exponential backoff with jitter, up to a horizon after which a delivery is dead."""

    base_delay: float = 30.0
    max_delay: float = 6 * 3600.0
    horizon: float = 3 * 86400.0
    jitter: float = 0.5  # the delay is drawn from [(1 - jitter) * d, d]


@dataclass(frozen=True, slots=True)
class WebhookSettings:
    name: str
    url: str = field(repr=False)
    secret: str | None = field(default=None, repr=False)
    mode: Literal["standard", "slack"] = "standard"
    kinds: frozenset[str] | None = None
    timeout: float = 10.0
    # The variable named by secret_env when it was not set (config loaded for reading only):
    # such a target refuses to send rather than send unsigned.
    secret_missing: str | None = None

    @property
    def display(self) -> str:
        return f"{self.name} {mask_url(self.url)}"


@dataclass(frozen=True, slots=True)
class EmailSettings:
    name: str
    host: str
    port: int
    security: Security
    sender: str
    to: tuple[str, ...]
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    kinds: frozenset[str] | None = None
    timeout: float = 20.0
    ca_file: Path | None = None  # PEM bundle trusted instead of the system store

    @property
    def display(self) -> str:
        return f"{self.name} smtp://{self.host}:{self.port} -> {len(self.to)} recipient(s)"


@dataclass(frozen=True, slots=True)
class AppriseSettings:
    name: str
    url: str = field(repr=False)  # Apprise URLs embed tokens: only ever shown by name
    kinds: frozenset[str] | None = None

    @property
    def display(self) -> str:
        return f"{self.name} apprise://…"


Target = WebhookSettings | EmailSettings | AppriseSettings


@dataclass(frozen=True, slots=True)
class AlertSettings:
    policy: AlertPolicy = AlertPolicy()
    retry: RetryPolicy = RetryPolicy()
    mode: Mode = "immediate"
    digest_every: float | None = None  # digest mode: one message per target every N seconds
    digest_at: time | None = None  # digest mode: one message per target daily at HH:MM UTC
    digest_max: int = 1000  # alerts per digest message; a bigger backlog makes several
    webhooks: tuple[WebhookSettings, ...] = ()
    email: EmailSettings | None = None
    apprise: tuple[AppriseSettings, ...] = ()
    batch: int = 200  # deliveries tried per target per pass in immediate mode
    lease: float = 120.0  # a claimed delivery is someone else's for this long

    @property
    def targets(self) -> tuple[Target, ...]:
        out: list[Target] = [*self.webhooks]
        if self.email is not None:
            out.append(self.email)
        out.extend(self.apprise)
        return tuple(out)


def _kinds(t: Table, name: str) -> frozenset[str] | None:
    values = t.strings(name, None)
    if values is None:
        return None
    for v in values:
        if v not in FINDING_KINDS:
            t.fail(f"unknown finding kind {v!r} (known: {', '.join(FINDING_KINDS)})", name)
    return frozenset(v for v in values if v in FINDING_KINDS)


def _target_name(t: Table, default: str, names: set[str]) -> str:
    name = t.string("name", default)
    if not _TARGET_NAME.match(name):
        raise ConfigError(
            "use letters, digits, '.', ':', '-' or '_'", file=t.file, key=t.key("name")
        )
    if name in names:
        raise ConfigError(f"duplicate target name {name!r}", file=t.file, key=t.key("name"))
    names.add(name)
    return str(name)


def _check_secret(secret: str, *, file: str, key: str) -> None:
    # The message never includes the value: a secret in a log line is a leaked secret.
    if not secret.startswith("whsec_"):
        raise ConfigError("the secret must start with 'whsec_'", file=file, key=key)
    try:
        secret_key(secret)
    except (binascii.Error, ValueError) as exc:
        raise ConfigError("the secret after 'whsec_' is not base64", file=file, key=key) from exc


def secret_key(secret: str) -> bytes:
    """The HMAC key of a ``whsec_<base64>`` secret (missing ``=`` padding tolerated, as the
    reference libraries do)."""
    text = secret.removeprefix("whsec_")
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def _webhooks(
    alerts: AlertsConfig,
    raw: Any,
    file: str,
    names: set[str],
    errors: list[ConfigError] | None = None,
) -> list[WebhookSettings]:
    out = []
    items = raw if isinstance(raw, list) else []
    for i, (target, item) in enumerate(zip(alerts.webhooks, items, strict=False)):
        t = Table(item, file=file, prefix=f"alerts.webhook[{i}]", errors=errors)
        t.seen.update({"url", "secret_env", "mode"})  # read by the config loader
        name = _target_name(t, f"webhook-{_short_hash(target.url)}", names)
        if target.secret is not None:
            _check_secret(target.secret, file=file, key=t.key("secret_env"))
        out.append(
            WebhookSettings(
                name=name,
                url=target.url,
                secret=target.secret,
                secret_missing=target.secret_env if target.secret is None else None,
                mode="slack" if target.mode == "slack" else "standard",
                kinds=_kinds(t, "kinds"),
                # At most half the delivery lease: an attempt never outlives its claim.
                timeout=t.number("timeout", 10.0, minimum=0.5, maximum=60),
            )
        )
        t.finish()
    return out


def _env_value(
    t: Table, name: str, env: Mapping[str, str], *, required: bool, strict: bool = True
) -> str | None:
    var = t.string(name)
    if var is None:
        if required:
            raise ConfigError("is required", file=t.file, key=t.key(name))
        return None
    value = env.get(var)
    if not value and not strict:
        return None  # loaded for reading only: nothing will be sent
    if not value:
        raise ConfigError(f"environment variable {var} is not set", file=t.file, key=t.key(name))
    return value


def _ca_file(t: Table) -> Path | None:
    """The ``ca_file`` path, absolute, once it is known to hold at least one PEM certificate.

    Loaded here, not at the first send, so a typo or a wrong file fails ``check-config`` instead
    of every delivery for days. A relative path is taken from the working directory, as for
    ``[store] path``, and made absolute so a later ``chdir`` cannot change what is trusted.
    """
    value = t.string("ca_file")
    if value is None:
        return None
    key = t.key("ca_file")
    path = Path(value).expanduser().absolute()
    if not path.is_file():
        raise ConfigError(f"no such file: {str(path)!r}", file=t.file, key=key)
    try:
        ssl.create_default_context(cafile=path)
    except ssl.SSLError as exc:
        raise ConfigError(
            f"no PEM certificate could be read from {str(path)!r} ({exc.reason or exc})",
            file=t.file,
            key=key,
        ) from exc
    except OSError as exc:
        raise ConfigError(
            f"cannot read {str(path)!r}: {exc.strerror or exc}", file=t.file, key=key
        ) from exc
    return path


def _email(t: Table, env: Mapping[str, str], names: set[str], *, strict: bool) -> EmailSettings:
    host = t.string("host", required=True)
    security = t.string("security", "starttls")
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(
            "expected 'starttls', 'tls' or 'none'", file=t.file, key=t.key("security")
        )
    default_port = {"starttls": 587, "tls": 465, "none": 25}[security]
    sender = t.string("from", required=True)
    to = t.strings("to") or ()
    if not to:
        raise ConfigError("needs at least one recipient", file=t.file, key=t.key("to"))
    for i, addr in enumerate((sender, *to)):
        if "@" not in addr or any(c in addr for c in "\r\n"):
            key = t.key("from") if i == 0 else f"{t.key('to')}[{i - 1}]"
            raise ConfigError(f"not an email address: {addr!r}", file=t.file, key=key)
    settings = EmailSettings(
        name=_target_name(t, "email", names),
        host=host,
        port=t.integer("port", default_port, minimum=1),
        security=security,
        sender=sender,
        to=to,
        username=_env_value(t, "username_env", env, required=False, strict=strict),
        password=_env_value(t, "password_env", env, required=False, strict=strict),
        kinds=_kinds(t, "kinds"),
        timeout=t.number("timeout", 20.0, minimum=0.5, maximum=60),
        ca_file=_ca_file(t),
    )
    if settings.ca_file is not None and security == "none":
        raise ConfigError(
            "only used with security = 'starttls' or 'tls'", file=t.file, key=t.key("ca_file")
        )
    if (settings.username is None) != (settings.password is None):
        raise ConfigError(
            "set both username_env and password_env, or neither", file=t.file, key=t.prefix
        )
    t.finish()
    return settings


def _digest_at(t: Table) -> time | None:
    value = t.string("digest_at")
    if value is None:
        return None
    m = _HHMM.match(value)
    if not m:
        t.fail(f"expected HH:MM (UTC), got {value!r}", "digest_at")
        return None
    return time(int(m.group(1)), int(m.group(2)))


def read_alerts(t: Table, environ: Mapping[str, str], *, strict: bool = True) -> AlertsConfig:
    """The ``[alerts]`` table ``t`` as the loader keeps it: webhook targets with their secrets
    and the values of the ``*_env`` variables, taken from ``environ``. The rest is validated
    here too (:func:`parse_alert_settings`), so ``check-config`` reports a bad key at load.
    """
    raw_hooks = t.data.get("webhook", [])
    t.seen.add("webhook")
    if not isinstance(raw_hooks, list):
        raise ConfigError("expected [[alerts.webhook]] tables", file=t.file, key=t.key("webhook"))
    hooks = []
    for i, item in enumerate(raw_hooks):
        h = Table(item, file=t.file, prefix=f"alerts.webhook[{i}]", errors=t.errors)
        url = h.string("url", required=True)
        if url and (problem := http_url_problem(url)):
            h.fail(problem, "url")
        secret_env = h.string("secret_env")
        mode = h.string("mode", "standard")
        if mode not in ("standard", "slack"):
            h.fail("expected 'standard' or 'slack'", "mode")
        secret = None
        if secret_env:
            secret = environ.get(secret_env) or None
            if not secret and strict:
                h.fail(f"environment variable {secret_env} is not set", "secret_env")
        hooks.append(WebhookTarget(url=url, secret_env=secret_env, secret=secret, mode=mode))
        # Unknown keys inside a webhook table are left for parse_alert_settings to judge.
        h.seen.update(h.data)
        h.finish()
    # Every other `*_env` key names a variable whose value the alerts stage needs (SMTP login,
    # Apprise URLs); an unset one is reported by parse_alert_settings, with its key.
    env: dict[str, str] = {}
    for table in [t.data.get("email"), *list(t.data.get("apprise") or [])]:
        if isinstance(table, Mapping):
            for key, var in table.items():
                if key.endswith("_env") and isinstance(var, str) and var in environ:
                    env[var] = environ[var]
    t.seen.update(t.data)
    alerts = AlertsConfig(webhooks=tuple(hooks), raw=dict(t.data), env=env, strict=strict)
    parse_alert_settings(alerts, file=t.file, errors=t.errors)
    return alerts


def parse_alert_settings(
    alerts: AlertsConfig, *, file: str, errors: list[ConfigError] | None = None
) -> AlertSettings:
    """Validate the ``[alerts]`` table into :class:`AlertSettings` (ConfigError names the key).

    With ``errors``, problems are appended there and reading goes on (``check-config``).
    """
    t = Table(alerts.raw, file=file, prefix="alerts", errors=errors)
    names: set[str] = set()
    t.seen.add("webhook")
    webhooks = _webhooks(alerts, alerts.raw.get("webhook", []), file, names, errors)
    email = None
    if "email" in alerts.raw:
        try:
            email = _email(t.table("email"), alerts.env, names, strict=alerts.strict)
        except ConfigError as exc:
            if errors is None:
                raise
            errors.append(exc)
    apprise = []
    t.seen.add("apprise")
    raw_apprise = alerts.raw.get("apprise", [])
    if not isinstance(raw_apprise, list):
        raise ConfigError("expected [[alerts.apprise]] tables", file=file, key="alerts.apprise")
    for i, item in enumerate(raw_apprise):
        a = Table(item, file=file, prefix=f"alerts.apprise[{i}]", errors=errors)
        url = _env_value(a, "url_env", alerts.env, required=True, strict=alerts.strict)
        if url is None:
            a.seen.update(a.data)
            continue  # loaded for reading only, and the URL's variable is not set
        apprise.append(
            AppriseSettings(
                name=_target_name(a, f"apprise-{_short_hash(url)}", names),
                url=url,
                kinds=_kinds(a, "kinds"),
            )
        )
        a.finish()

    mode = t.string("mode", "immediate")
    if mode not in ("immediate", "digest"):
        t.fail("expected 'immediate' or 'digest'", "mode")
    digest_every = t.duration("digest_every", None)
    digest_at = _digest_at(t)
    if digest_every is not None and digest_at is not None:
        t.fail("set digest_every or digest_at, not both")
    if mode == "digest" and digest_every is None and digest_at is None:
        digest_every = 3600.0

    d = RetryPolicy()
    retry = RetryPolicy(
        base_delay=t.duration("retry_base", d.base_delay) or d.base_delay,
        max_delay=t.duration("retry_max", d.max_delay) or d.max_delay,
        horizon=t.duration("horizon", d.horizon) or d.horizon,
    )

    thresholds_t = t.table("thresholds")
    thresholds = {
        key: thresholds_t.number(key, 0.0) for key in sorted(thresholds_t.data)
    }  # a relative change: 0.05 is 5 %
    thresholds_t.finish()
    mutes = []
    t.seen.add("mute")
    raw_mutes = alerts.raw.get("mute", [])
    if not isinstance(raw_mutes, list):
        raise ConfigError("expected [[alerts.mute]] tables", file=file, key="alerts.mute")
    for i, item in enumerate(raw_mutes):
        m = Table(item, file=file, prefix=f"alerts.mute[{i}]", errors=errors)
        mute = Mute(subject=m.string("subject"), metric=m.string("metric"), kind=m.string("kind"))
        if mute == Mute():
            m.fail("name at least one of subject, metric, kind")
        if mute.kind is not None and mute.kind not in FINDING_KINDS:
            m.fail(f"unknown finding kind {mute.kind!r}", "kind")
        m.finish()
        mutes.append(mute)
    policy = AlertPolicy(
        kinds=_kinds(t, "kinds") or frozenset(FINDING_KINDS),
        metrics=frozenset(t.strings("metrics") or ()),
        min_change=t.number("min_change", 0.0),
        thresholds=thresholds,
        mutes=tuple(mutes),
    )
    settings = AlertSettings(
        policy=policy,
        retry=retry,
        mode="digest" if mode == "digest" else "immediate",
        digest_every=digest_every,
        digest_at=digest_at,
        digest_max=t.integer("digest_max", 1000, minimum=1),
        webhooks=tuple(webhooks),
        email=email,
        apprise=tuple(apprise),
        batch=t.integer("batch", 200, minimum=1),
    )
    t.finish()
    return settings


def unknown_metrics(
    raw: Mapping[str, Any], known: Collection[str], *, file: str
) -> list[ConfigError]:
    """Every metric key in ``[alerts] metrics``, ``[alerts.thresholds]`` and ``[[alerts.mute]]
    metric`` that the catalogue does not have, each an error naming the key and the known ones.

    Checked against the catalogue in use (``metrics.toml``), so it runs once both are loaded: a
    typo in ``metrics`` would otherwise silence every alert, one in ``thresholds`` its metric's.
    """
    names = sorted(known)
    folded = {k.casefold() for k in names}

    def error(value: str, key: str) -> ConfigError:
        close = difflib.get_close_matches(value, names, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return ConfigError(
            f"unknown metric {value!r}{hint} (known: {', '.join(names)})", file=file, key=key
        )

    out: list[ConfigError] = []
    metrics = raw.get("metrics")
    if isinstance(metrics, list):
        out += [
            error(m, f"alerts.metrics[{i}]")
            for i, m in enumerate(metrics)
            if isinstance(m, str) and m not in known
        ]
    thresholds = raw.get("thresholds")
    if isinstance(thresholds, Mapping):
        out += [error(k, f"alerts.thresholds.{k}") for k in thresholds if k not in known]
    mutes = raw.get("mute")
    for i, mute in enumerate(mutes if isinstance(mutes, list) else []):
        metric = mute.get("metric") if isinstance(mute, Mapping) else None
        # Mutes match case-insensitively (ingest.alerts.policy), so only a key no case matches.
        if isinstance(metric, str) and metric.casefold() not in folded:
            out.append(error(metric, f"alerts.mute[{i}].metric"))
    return out


def alert_settings(config: Config) -> AlertSettings:
    """The alert settings of a loaded config."""
    return parse_alert_settings(config.alerts, file=config.file)
