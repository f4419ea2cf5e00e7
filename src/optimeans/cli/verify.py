"""``optimeans verify``: check a saved proof against the data, without searching again.

The command reads the data as ``fit`` does, loads the proof (JSON, written by
``optimeans fit --method bnb --proof FILE``) and makes one library call,
:func:`optimeans.exact.proof.verify`. Exit status 0 when the proof is valid
and proves optimality, 1 when it is valid but leaves a gap (a time-limited
search) or holds a bound that cannot be checked without searching, 3 when it
is invalid; 2 for bad input, as every command.
"""

from __future__ import annotations

import argparse
import textwrap

from ._common import CLIError, add_k_option, print_json
from ._input import add_input_options, read_input

EXAMPLES = """\
examples:
  optimeans fit glass.csv -k 3 --method bnb -o time_limit=600 --proof glass_k3.proof.json
  optimeans verify glass.csv glass_k3.proof.json -k 3
  optimeans verify --dataset iris iris_k3.proof.json -k 3 --json
"""

#: Exit status of a proof that does not hold.
INVALID_STATUS = 3


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "verify",
        help="check a saved proof of optimality (from fit --method bnb --proof)",
        description=textwrap.fill(
            "Check a proof written by `optimeans fit --method bnb --proof FILE`: recompute the objective of its "
            "labels, the bound of every certificate from its dual point (SDP tree) or its multipliers by one "
            "exact pricing (LP tree, planar data), and that the search tree covers every partition; report "
            "whether it proves optimality, and the gap. Enumeration proofs hold no certificate: --rerun proves "
            "them again.",
            78,
        ),
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_input_options(p)
    p.add_argument("proof", metavar="PROOF", help="the proof file (JSON)")
    add_k_option(p.add_argument_group("clustering"))
    p.add_argument("--json", action="store_true", help="print the verification as JSON on stdout")
    p.add_argument("--rerun", action="store_true",
                   help="an enumeration proof holds no certificate: prove it again by enumeration (a search); "
                        "the SDP tree, the LP tree (planar) and 1-D proofs are checked without it")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..exact.proof import load_proof, verify

    try:
        proof = load_proof(args.proof)
    except OSError as exc:
        raise CLIError(f"cannot read the proof {args.proof}: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CLIError(str(exc)) from None
    table = read_input(args)
    try:
        result = verify(table.X, args.n_clusters, proof, rerun=args.rerun)
    except ValueError as exc:
        raise CLIError(f"{args.proof}: {exc}") from None
    if args.json:
        print_json(result.to_dict())
    else:
        print(str(result))
    if not result.valid:
        return INVALID_STATUS
    return 0 if result.proven and not result.unchecked else 1
