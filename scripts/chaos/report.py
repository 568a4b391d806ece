"""The run's summary: its checks and figures, as a table for people and a dict for JSON."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from scripts.chaos.faults import Fault
from scripts.chaos.proof import Check

#: figures shown as one number each, in this order
COUNTS = (
    "interrupted_attempts",
    "steps_redone",
    "finished_steps_redone",
    "steps_kept_by_checkpoints",
    "steps_total_completed",
    "unattributed_reclaims",
    "max_attempts_used",
    "progress_samples",
)


def _stats_text(stats: dict[str, Any]) -> str:
    if not stats.get("n"):
        return "n=0"
    return f"n={stats['n']} p50 {stats['p50']:.2f} s  max {stats['max']:.2f} s"


def _counted(label: str, counts: dict[str, int]) -> str:
    return f"{label}: " + (", ".join(f"{k} {n}" for k, n in sorted(counts.items())) or "none")


@dataclass
class Summary:
    """What a run did and proved."""

    config: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)
    faults: list[Fault] = field(default_factory=list)
    workdir: str = ""

    @property
    def ok(self) -> bool:
        """Every check ran and passed."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    def failed(self) -> list[Check]:
        """The checks that failed."""
        return [check for check in self.checks if not check.ok]

    def to_dict(self) -> dict[str, Any]:
        """Everything, for --json-out."""
        return {
            "ok": self.ok,
            "config": self.config,
            "figures": self.figures,
            "checks": [asdict(check) for check in self.checks],
            "faults": [asdict(fault) for fault in self.faults],
            "workdir": self.workdir,
        }

    def _heading(self) -> list[str]:
        config, fig = self.config, self.figures
        return [
            f"progen chaos: {config['db']}, {config['instances']} instances, "
            f"{config['jobs']} jobs, {config['duration']:g} s, "
            f"seed {config['seed']}, faults {','.join(config['faults']) or '-'}",
            f"run {fig.get('run_seconds', 0):.1f} s (settled {fig.get('settle_seconds', 0):.1f} s"
            f" after the faults); logs in {self.workdir}",
            _counted("faults injected", fig.get("faults", {})),
            _counted("jobs", fig.get("jobs_by_status", {})),
            _counted("events", fig.get("events_by_reason", {})),
        ]

    def _figure_lines(self) -> list[str]:
        fig = self.figures
        lines = [f"{'figure':<36}value"]
        for kind, stats in sorted(fig.get("reclaim_latency", {}).items()):
            lines.append(f"{'reclaim latency after ' + kind:<36}{_stats_text(stats)}")
        for name in (
            "resume_latency",
            "shutdown_handback_latency",
            "restart_seconds",
            "cancel_latency",
        ):
            if name in fig:
                lines.append(f"{name.replace('_', ' '):<36}{_stats_text(fig[name])}")
        lines += [f"{name.replace('_', ' '):<36}{fig[name]}" for name in COUNTS if name in fig]
        return lines

    def table(self) -> str:
        """The report: scenario, checks, figures, verdict."""
        checks = [f"{c.name:<28}{'PASS' if c.ok else 'FAIL':<8}{c.detail}" for c in self.checks]
        verdict = "PASS" if self.ok else f"FAIL ({', '.join(c.name for c in self.failed())})"
        return "\n".join(
            [
                *self._heading(),
                "",
                f"{'check':<28}{'result':<8}detail",
                *checks,
                "",
                *self._figure_lines(),
                "",
                f"RESULT: {verdict}",
            ]
        )
