"""`make chaos`: the chaos suite's long run, every seed on one organization, then the summary table.

    python tests/chaos/run.py --seeds 1-20 --accounts 20 --rate 0.1

Exits 1 when any run crashed, gave a wrong verdict, failed verification or lost a fault.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent)]  # fault_proxy, chaos_run; moto_gaps, moto_scenario

from chaos_run import chaos_world, run_seed, summary_table  # noqa: E402


def seeds(text: str) -> list[int]:
    first, _, last = text.partition("-")
    return list(range(int(first), int(last or first) + 1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=seeds, default=seeds("1-20"), help="a seed or a range, e.g. 1-20")
    parser.add_argument("--accounts", type=int, default=20)
    parser.add_argument("--rate", type=float, default=0.1, help="share of requests given a fault")
    args = parser.parse_args()
    outcomes = []
    with tempfile.TemporaryDirectory() as work, chaos_world(args.accounts, Path(work)) as world:
        for seed in args.seeds:
            outcome = run_seed(world, seed=seed, rate=args.rate, out=Path(work) / f"seed-{seed}")
            outcomes.append(outcome)
            print(f"seed {seed}: {'ok' if outcome.ok else 'FAILED'} ({outcome.seconds:.1f} s)", flush=True)
            for line in [*outcome.problems, *outcome.wrong_verdicts, *outcome.unaccounted_faults][:20]:
                print(f"  {line}", flush=True)
    print(f"\n{len(outcomes)} run(s), {args.accounts} accounts x {len(world_regions())} regions, rate {args.rate}")
    print(summary_table(outcomes))
    return 0 if all(o.ok for o in outcomes) else 1


def world_regions() -> tuple[str, ...]:
    from chaos_run import REGIONS

    return REGIONS


if __name__ == "__main__":
    sys.exit(main())
