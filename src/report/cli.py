"""The command line: `python -m report build|check [PROJECT]`. Heavy imports happen inside commands."""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from .errors import ReportError

EXIT_USER_ERROR = 2
EXIT_INTERNAL_ERROR = 1


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m report",
        description="Typeset an Arabic PDF briefing from data (YAML/CSV) and Markdown sections.",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and detailed logs")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    build = commands.add_parser("build", help="build the PDF briefing")
    build.add_argument("project", nargs="?", default=".", help="project folder (default: current folder)")
    build.add_argument("-o", "--output", type=Path, help="PDF file to write (default: settings.output)")
    build.add_argument("-q", "--quiet", action="store_true", help="print errors only")
    build.add_argument("--force", action="store_true", help="rebuild even when nothing changed")
    build.add_argument("--watch", action="store_true", help="rebuild on every saved change (Ctrl-C stops)")
    build.add_argument(
        "--print", dest="print_profile", action="store_true",
        help="print-shop profile: 3 mm bleed, crop marks, sections open on a recto (writes *-print.pdf)",
    )  # fmt: skip
    _signing_options(build)
    build.add_argument(
        "--variant", choices=("pdf/a-3b", "pdf/ua-1"),
        help="archival PDF/A-3b with the sources attached (*-pdfa.pdf) or accessible PDF/UA-1 (*-pdfua.pdf)",
    )  # fmt: skip

    check = commands.add_parser("check", help="validate data and sections without typesetting")
    check.add_argument("project", nargs="?", default=".", help="project folder (default: current folder)")
    check.add_argument(
        "--strict", action="store_true", help="treat language warnings as errors (exit code 2)"
    )

    copies = commands.add_parser("copies", help="numbered, stamped copies for a distribution list")
    copies.add_argument("project", nargs="?", default=".", help="project folder (default: current folder)")
    copies.add_argument("--recipients", required=True, type=Path, help="CSV with the columns name and unit")
    copies.add_argument("--combined", action="store_true", help="also write all copies as one print file")
    _signing_options(copies)

    new = commands.add_parser("new", help="create a new project that builds at once")
    new.add_argument("folder", help="the folder to create (new or empty)")

    figures = commands.add_parser(
        "figures", help="list every figure as printed, with its source and where it is used"
    )
    figures.add_argument("project", nargs="?", default=".", help="project folder (default: current folder)")

    diff = commands.add_parser(
        "diff",
        help="list the figures and sections that changed between two editions",
        description=(
            "Compare two editions. OLD and NEW are project folders, PDFs (their manifest beside them) "
            "or manifest files. With only a project (default: the current folder), compare the project "
            "as it is now with its last build, or with an earlier edition (--since)."
        ),
    )
    diff.add_argument("old", nargs="?", default=None, metavar="OLD")
    diff.add_argument("new", nargs="?", default=None, metavar="NEW")
    diff.add_argument("--since", metavar="EDITION", help="compare with this recorded edition of the project")
    return parser


def _signing_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--sign-key", type=Path, help="sign with this private key (PEM)")
    parser.add_argument("--sign-cert", type=Path, help="the certificate of that key (PEM)")


def _signing(args: argparse.Namespace):
    if not (args.sign_key or args.sign_cert):
        return None
    if not (args.sign_key and args.sign_cert):
        raise ReportError("give both --sign-key and --sign-cert to sign")
    from .signing import SigningKey

    return SigningKey(args.sign_key, args.sign_cert)


def _build(args: argparse.Namespace, root: Path) -> None:
    from .build import build

    signing = _signing(args)

    def once() -> None:
        result = build(
            args.project,
            args.output,
            force=args.force,
            print_profile=args.print_profile,
            variant=args.variant,
            signing=signing,
            remember_parts=args.watch,
        )
        if args.quiet:
            return  # errors only
        if result.up_to_date:
            print(f"{result.output} is up to date ({result.seconds:.2f} s)", flush=True)
        else:
            print(f"wrote {result.output} ({result.pages} pages) in {result.seconds:.1f} s", flush=True)

    if args.watch:
        from .project import find_project
        from .watch import watch

        print("watching for changes (Ctrl-C to stop)", flush=True)
        watch(find_project(args.project), once, root)
    else:
        once()


def _too_large(error: BaseException) -> str:
    if isinstance(error, RecursionError):
        return "the project nests too deeply (a template calling itself, or data nested without end?)"
    if isinstance(error, MemoryError):
        return "the project needs more memory than this machine has (a file or a loop far too large?)"
    return f"a number in the project is too large to handle ({error})"


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    level = (
        logging.DEBUG if args.debug else logging.WARNING if getattr(args, "quiet", False) else logging.INFO
    )
    # Progress goes to stdout; stderr is kept for problems, one per line.
    logging.basicConfig(level=logging.WARNING, format="%(message)s", stream=sys.stdout)
    logging.getLogger("report").setLevel(level)
    if not args.debug:
        # WeasyPrint and fontTools report layout details at WARNING; keep the user's output clean.
        logging.getLogger("weasyprint").setLevel(logging.ERROR)
        logging.getLogger("fontTools").setLevel(logging.ERROR)
    root = Path(
        getattr(args, "project", None)
        or (args.old if args.command == "diff" and args.new is None else None)
        or "."
    ).resolve()
    try:
        if args.command == "build":
            _build(args, root)
        elif args.command == "copies":
            from .copies import make_copies

            done = make_copies(args.project, args.recipients, args.combined, _signing(args))
            print(f"wrote {done.copies} copies and {done.register.name} to {done.folder}", end="")
            print(f" in {done.seconds:.1f} s")
        elif args.command == "new":
            from .new import new_project

            written = new_project(args.folder)
            folder = Path(args.folder)
            print(f"created {folder} ({len(written)} files):")
            for path in written:
                print(f"  {path.relative_to(folder).as_posix()}")
            print(f"next: python -m report build {folder}")
        elif args.command == "figures":
            from .listing import figures_command

            print(figures_command(args.project))
        elif args.command == "diff":
            from .editions import diff_command

            print(diff_command(args.old, args.new, args.since))
        else:
            from .build import check

            project, warnings = check(args.project)
            for warning in warnings:
                print(warning.display(root), file=sys.stderr)
            if warnings and args.strict:
                count = len(warnings)
                print(
                    f"{count} language warning{'s' if count > 1 else ''}; --strict makes them errors",
                    file=sys.stderr,
                )
                return EXIT_USER_ERROR
            found = (
                f"{len(warnings)} language warning{'s' if len(warnings) != 1 else ''}"
                if warnings
                else "no problems found"
            )
            print(f"{project.root}: {found} ({len(project.sections)} sections)")
    except ReportError as error:
        if args.debug:
            raise
        print(error.display(root), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        if args.command == "copies":
            from .copies import INTERRUPTED_MESSAGE

            print(INTERRUPTED_MESSAGE, file=sys.stderr)
        else:
            print("interrupted; the previous PDF is unchanged", file=sys.stderr)
        return 130
    except (RecursionError, MemoryError, OverflowError) as error:
        # Each stage bounds its input (report.limits); these come from a project past those
        # bounds that a stage missed, not from a bug: the user can act on them.
        if args.debug:
            raise
        print(_too_large(error), file=sys.stderr)
        return EXIT_USER_ERROR
    except Exception as error:  # noqa: BLE001 - the last line of defence for a user-facing tool
        if args.debug:
            raise
        print(
            f"internal error: {type(error).__name__}: {error} (run with --debug for details)", file=sys.stderr
        )
        return EXIT_INTERNAL_ERROR
    return 0
