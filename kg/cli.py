"""The ``kg`` command: argument parsing and exit codes only; the work is done by other modules.

Exit codes: 0 success; 1 the data does not conform (problems listed one per line);
2 usage or runtime error (one line).
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import sys
from pathlib import Path

from kg import __version__
from kg.problems import EXIT_OK, EXIT_USAGE, DataError, KgError, UsageError


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit 2."""

    def error(self, message: str):  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see '{self.prog} --help')")


def _parser() -> _Parser:
    parser = _Parser(
        prog="kg", description="aigeo: build, check and query the AI-geopolitics knowledge graph."
    )
    parser.add_argument("--version", action="version", version=f"kg (aigeo) {__version__}")
    sub = parser.add_subparsers(dest="verb", metavar="VERB", parser_class=_Parser)

    def endpoint(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--endpoint", metavar="URL", help="ask this SPARQL 1.1 endpoint instead of the embedded store"
        )
        p.add_argument("--timeout", type=float, default=30.0, metavar="S", help="endpoint timeout in seconds")

    def engine(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "--engine",
            choices=["auto", "fast", "reference"],
            default="auto",
            help="SHACL and OWL RL by SPARQL and rules on pyoxigraph (fast), by pyshacl and owlrl "
            "(reference), or by graph size (auto, the default; see docs/decisions)",
        )

    def paths(p: argparse.ArgumentParser, data: bool = True) -> None:
        if data:
            p.add_argument("--data", metavar="DIR", help="curated data folder (default: the project's data/)")
        p.add_argument("--out", metavar="DIR", help="build output folder (default: the project's dist/)")

    p = sub.add_parser(
        "build",
        help="build the graph: parse, check, reason, write dist/",
        description="Parse the ontology and curated data, run every check, reason, "
        "and write the outputs atomically.",
    )
    paths(p)
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.add_argument(
        "--progress",
        choices=["auto", "text", "json", "none"],
        default="auto",
        help="stage progress on stderr: text on a terminal (auto), JSON lines, or none",
    )
    engine(p)

    p = sub.add_parser(
        "validate",
        help="run every check of the build without writing anything",
        description="Run the build's stages up to and including the quality checks; write nothing.",
    )
    p.add_argument("--data", metavar="DIR", help="curated data folder (default: the project's data/)")
    engine(p)

    p = sub.add_parser(
        "generate",
        help="regenerate kg/namespaces.py and docs/ontology.md from the ontology",
        description="Write the files generated from ontology/*.ttl; with --check, only report drift.",
    )
    p.add_argument("--check", action="store_true", help="exit 1 if a generated file is out of date")

    p = sub.add_parser(
        "query",
        help="answer a competency question (queries/cq/NAME.rq)",
        add_help=False,
        description="Answer a competency question. 'kg query NAME --help' prints the question's header.",
    )
    p.add_argument("name", nargs="?", metavar="NAME", help="question name (see --list)")
    p.add_argument(
        "--param",
        "-p",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="set a parameter (repeatable)",
    )
    p.add_argument("--format", "-f", choices=["table", "csv", "tsv", "json"], default="table")
    p.add_argument("--list", action="store_true", help="list the questions")
    p.add_argument(
        "--sources", action="store_true", help="add each row's quote, language, document and offsets"
    )
    p.add_argument("-h", "--help", action="store_true", help="show this help, or the question's header")
    endpoint(p)
    paths(p, data=False)

    p = sub.add_parser(
        "sparql",
        help="run an ad hoc SPARQL query (file, or - for stdin)",
        description="Run an ad hoc SELECT/ASK/CONSTRUCT query on the built graph; "
        "the default graph is the union of all graphs.",
    )
    p.add_argument("file", metavar="FILE|-")
    p.add_argument("--format", "-f", choices=["table", "csv", "tsv", "json"], default="table")
    endpoint(p)
    paths(p, data=False)

    p = sub.add_parser(
        "locate",
        help="print where a quote sits in its source (a built claim, or text in a document)",
        description="Print file:line:column, the offsets and the passage around a quote: either the "
        "quote of a built claim (CLAIM, such as inss-2025-02-deepseek-israel/national-supercomputer-chip), "
        "or TEXT searched in the held text of --document.",
    )
    p.add_argument("target", metavar="CLAIM|TEXT")
    p.add_argument("--document", metavar="DOC", help="search TEXT in this held document instead")
    paths(p, data=False)

    p = sub.add_parser(
        "serve",
        help="serve the built graph over SPARQL (Oxigraph server on 127.0.0.1)",
        description="Start an Oxigraph SPARQL server over the current build, bound to 127.0.0.1; "
        "read-only unless --writable. Prints the endpoint URL; stop with Ctrl-C.",
    )
    p.add_argument("--port", type=int, default=7878, help="TCP port (default 7878)")
    p.add_argument("--writable", action="store_true", help="accept SPARQL updates (off by default)")
    paths(p, data=False)

    _export_parser(sub, paths)
    return parser


def _export_parser(sub, paths) -> None:
    export = sub.add_parser(
        "export",
        help="write the graph for other tools: GEXF (Gephi), RDF, CSV",
        description="Write the current build for other tools. Every format writes to a temporary "
        "name and renames it into place, and takes the same slice options.",
    )
    formats = export.add_subparsers(dest="format_verb", metavar="FORMAT", parser_class=_Parser)

    def common(p: argparse.ArgumentParser, target: str) -> None:
        p.add_argument("-o", "--output", required=True, metavar=target, help=f"the {target.lower()} to write")
        p.add_argument(
            "--kinds",
            metavar="K,...",
            help="only entities of these kinds (organisation, chip, model, country, document, ...; "
            "a class name such as ThinkTank; or 'all'); default: all but currency and unit",
        )
        p.add_argument(
            "--as-of",
            metavar="DATE",
            help="only claims that stood on DATE (YYYY-MM-DD): reported by then and valid then",
        )
        p.add_argument("--around", metavar="ENTITY", help="only the entities near ENTITY (name, key or IRI)")
        p.add_argument(
            "--depth", type=int, default=1, metavar="N", help="steps from --around ENTITY (default 1)"
        )
        paths(p, data=False)

    p = formats.add_parser(
        "gexf",
        help="the entity graph as GEXF 1.3 (Gephi, Gephi Lite, sigma.js)",
        description="Write the entity graph as GEXF 1.3: entities as nodes with typed attributes, "
        "colour by kind and size by claim count; relations from claims as edges weighted by their "
        "claims, dated where the claims are; degree, betweenness and communities as node attributes.",
    )
    common(p, "FILE")
    p = formats.add_parser(
        "rdf",
        help="the graph as Turtle, N-Triples, N-Quads, TriG or JSON-LD",
        description="Write the asserted graphs, the inferred one, or both, in an RDF syntax; "
        "JSON-LD is compacted with the project's context (kg/export/context.jsonld).",
    )
    common(p, "FILE")
    p.add_argument(
        "--format", "-f", choices=["turtle", "ntriples", "nquads", "trig", "jsonld"], default="turtle"
    )
    p.add_argument("--graph", choices=["asserted", "inferred", "both"], default="asserted")
    p = formats.add_parser(
        "csv",
        help="one CSV table per entity kind and claims.csv (quotes and sources)",
        description="Write a folder of CSV files (UTF-8 with BOM, header row): one per entity kind "
        "and claims.csv with each claim's quote, document and claimant.",
    )
    common(p, "DIR")


#: set by a verb whose process ends holding millions of objects (``build``): freeing them one
#: by one at exit took 2.2 s at 100,000 claims, and nothing is left to flush but stdout/stderr
_skip_teardown = False
#: the last build's state, referenced until the process ends: dropping its store when the verb
#: returned freed the quads one by one (1.3 s at 100,000 claims)
_last_build = None


def run() -> None:
    """The console script: run :func:`main` and exit with its code."""
    code = main()
    if _skip_teardown:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)
    sys.exit(code)


def main(argv: list[str] | None = None) -> int:
    """Run the ``kg`` command; return its exit code."""
    parser = _parser()
    try:
        args = parser.parse_args(argv)
        if args.verb is None:
            parser.print_help()
            return EXIT_USAGE
        return _VERBS[args.verb](args, parser)
    except DataError as exc:
        for line in exc.lines():
            print(line, file=sys.stderr)
        return exc.exit_code
    except KgError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return EXIT_USAGE


def _build(args, _parser) -> int:
    from kg.build import build
    from kg.layout import Layout

    layout = Layout.find(args.data, args.out)
    # A build is one short-lived process that allocates millions of objects and frees none of
    # them before it ends: the cycle collector would only rescan them (a fifth of a 100k build).
    gc.disable()
    global _skip_teardown, _last_build
    _skip_teardown = True
    state = _last_build = build(layout, write=True, progress=_progress_printer(args), engine=args.engine)
    _print_warnings(state)
    if not args.quiet:
        r = state.report
        c = r["counts"]
        stages = ", ".join(f"{s['stage']} {s['seconds']:.2f}s" for s in r["stages"])
        print(
            f"built {_display(layout.out)}: {c['triples_asserted']} asserted triples, "
            f"{c['triples_inferred']} inferred, {c['claims']} claims"
        )
        print(f"stages: {stages}")
    return EXIT_OK


def _validate(args, _parser) -> int:
    from kg.build import build
    from kg.layout import Layout

    state = build(Layout.find(args.data), write=False, engine=args.engine)
    _print_warnings(state)
    checks = state.report["checks"]
    print(
        f"conforms: {checks['provenance']['quotes_checked']} quotes checked, "
        f"{checks['shacl']['node_shapes']} SHACL node shapes, {len(checks['qc'])} quality checks, "
        f"{state.report['counts']['claims']} claims"
    )
    return EXIT_OK


def _generate(args, _parser) -> int:
    from kg.codegen import generated_files
    from kg.layout import Layout

    root = Layout.find().root
    stale = []
    for path, text in generated_files(root).items():
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        stale.append(path)
        if not args.check:
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)
    for path in stale:
        verb = "out of date" if args.check else "written"
        print(f"{_display(path)}: {verb}", file=sys.stderr if args.check else sys.stdout)
    if args.check and stale:
        print(f"{len(stale)} generated file(s) out of date; run 'kg generate'", file=sys.stderr)
        return 1
    return EXIT_OK


def _query(args, parser) -> int:
    from kg.layout import Layout
    from kg.queries import convert_value, find_queries

    layout = Layout.find(None, args.out)
    questions = find_queries(layout.queries / "cq")
    if args.list:
        width = max(len(n) for n in questions)
        for name, q in questions.items():
            print(f"{name.ljust(width)}  {q.question}")
        return EXIT_OK
    if args.name is None:
        if args.help:
            parser._subparsers._group_actions[0].choices["query"].print_help()
            return EXIT_OK
        raise UsageError("kg query: a question NAME is required (or --list)")
    query = questions.get(args.name)
    if query is None:
        import difflib

        near = difflib.get_close_matches(args.name, list(questions), n=3)
        hint = f"; did you mean {', '.join(near)}?" if near else "; see 'kg query --list'"
        raise UsageError(f"unknown question {args.name!r}{hint}")
    if args.help:
        print(query.header())
        return EXIT_OK
    given = {}
    for item in args.param:
        key, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--param {item!r}: expected KEY=VALUE")
        if key not in query.params:
            known = ", ".join(query.params) or "none"
            raise UsageError(f"question {query.name} has no parameter {key!r} (parameters: {known})")
        given[key] = value
    from kg.store import EntityResolver

    run = _runner(args, layout)
    resolver = EntityResolver(run)
    values = {}
    for name, param in query.params.items():
        text = given.get(name, param.default)
        if text is None:
            if not param.optional:
                raise UsageError(f"question {query.name} needs --param {name}=... ({param.type})")
            continue
        values[name] = convert_value(param, text, resolver.resolve)
    _print_results(run, query.bind(values), args.format, sources=args.sources)
    return EXIT_OK


def _sparql(args, _parser) -> int:
    from kg.layout import Layout

    if args.file == "-":
        text = sys.stdin.read()
    else:
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read {args.file}: {exc.strerror}") from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = data.count(b"\n", 0, exc.start) + 1
            raise UsageError(
                f"cannot read {args.file}: not valid UTF-8 at byte {exc.start} (line {line})"
            ) from None
    run = _runner(args, Layout.find(None, args.out))
    _print_results(run, text, args.format)
    return EXIT_OK


def _locate(args, _parser) -> int:
    from kg.layout import Layout
    from kg.locate import locate_claim, locate_text

    layout = Layout.find(None, args.out)
    if args.document:
        print("\n".join(locate_text(layout.root, args.document, args.target)))
        return EXIT_OK
    from kg.store import embedded_runner, open_build

    print(locate_claim(layout.root, embedded_runner(open_build(layout.out, _index_notice())), args.target))
    return EXIT_OK


def _serve(args, _parser) -> int:
    from kg.layout import Layout
    from kg.output import current_build
    from kg.server import serve_forever

    out = Layout.find(None, args.out).out
    folder = current_build(out)
    if folder is None:
        raise UsageError(f"no build in {out}; run 'kg build' first")
    if not 0 < args.port < 65536:
        raise UsageError(f"--port {args.port} is not a TCP port")
    serve_forever(folder, args.port, args.writable)
    return EXIT_OK


def _export(args, parser) -> int:
    import datetime as dt
    import time

    from kg.layout import Layout

    if args.format_verb is None:
        raise UsageError("kg export: a FORMAT is required (gexf, rdf or csv); see 'kg export --help'")
    as_of = None
    if args.as_of:
        try:
            as_of = dt.date.fromisoformat(args.as_of)
        except ValueError:
            raise UsageError(f"--as-of {args.as_of!r}: expected a date such as 2025-01-31") from None
    started = time.perf_counter()
    from kg.export.records import read_build
    from kg.export.selection import Slice, select

    build = read_build(Layout.find(None, args.out).out)
    selection = select(build, Slice(args.kinds, as_of, args.around, args.depth))
    target = Path(args.output)
    if args.format_verb == "gexf":
        from kg.export.gexf import write_gexf

        summary = write_gexf(selection, target)
    elif args.format_verb == "rdf":
        from kg.export.rdf import write_rdf

        summary = write_rdf(selection, target, args.format, args.graph)
    else:
        from kg.export.tables import write_tables

        summary = write_tables(selection, target)
    note = f"; {selection.undated_left_out} claims of undated documents left out" if as_of else ""
    print(f"wrote {_display(target)}: {summary}{note} ({time.perf_counter() - started:.2f}s)")
    return EXIT_OK


def _runner(args, layout):
    """A function running query text on the embedded build or on ``--endpoint``."""
    if args.endpoint:
        from kg.remote import Endpoint

        if not args.endpoint.startswith(("http://", "https://")):
            raise UsageError(f"--endpoint {args.endpoint!r} is not an http(s) URL")
        return Endpoint(args.endpoint, timeout=args.timeout).query
    from kg.store import embedded_runner, open_build

    return embedded_runner(open_build(layout.out, _index_notice()))


def _print_results(run, text: str, fmt: str, sources: bool = False) -> None:
    from pyoxigraph import QueryBoolean, QueryTriples, RdfFormat

    from kg.labels import add_sources, labels_for
    from kg.results import ResultTable, render
    from kg.safety import check_query

    check_query(text)
    try:
        result = run(text)
    except SyntaxError as exc:
        raise UsageError(f"SPARQL syntax error {_syntax_place(exc)}") from None
    except (OSError, RuntimeError, ValueError) as exc:
        raise UsageError(f"query failed: {exc}") from None
    if isinstance(result, QueryBoolean):
        print("true" if bool(result) else "false")
    elif isinstance(result, QueryTriples):
        sys.stdout.write(result.serialize(format=RdfFormat.TURTLE).decode("utf-8"))
    else:
        table = ResultTable.read(result)
        if sources:
            add_sources(table, run)
        labels = labels_for(table.iris(), run) if fmt == "table" else None
        sys.stdout.write(render(table, fmt, labels))


def _syntax_place(exc: SyntaxError) -> str:
    """``at line L, column C: message`` from pyoxigraph's ``error at L:C: message``."""
    msg = exc.msg or str(exc)
    m = re.match(r"error at (\d+):(\d+): ", msg)
    if m:
        return f"at line {m.group(1)}, column {m.group(2)}: {msg[m.end() :]}"
    return f"at line {exc.lineno}: {msg}" if exc.lineno else f": {msg}"


def _print_warnings(state) -> None:
    for w in state.warnings:
        print(w.format(), file=sys.stderr)


def _progress_printer(args):
    """Stage progress on stderr: text lines on a terminal, JSON lines if asked, else nothing."""
    mode = args.progress
    if mode == "auto":
        mode = "text" if sys.stderr.isatty() and not args.quiet else "none"
    if mode == "json":
        import json

        def report(stage: str, seconds: float | None) -> None:
            event = {"stage": stage, "event": "start" if seconds is None else "end"}
            if seconds is not None:
                event["seconds"] = round(seconds, 4)
            print(json.dumps(event), file=sys.stderr, flush=True)

        return report
    if mode == "text":

        def report(stage: str, seconds: float | None) -> None:
            if seconds is None:
                print(f"  {stage:<11} …", end="", file=sys.stderr, flush=True)
            else:
                print(f"\r  {stage:<11} {seconds:6.2f}s", file=sys.stderr, flush=True)

        return report
    return None


_INDEXING = "indexing the build for queries (once per build) …"


def _index_notice():
    """On a terminal, a line on stderr while the first query after a large build indexes it."""
    if not sys.stderr.isatty():
        return None

    def notice(seconds: float | None) -> None:
        if seconds is None:
            print(_INDEXING, end="", file=sys.stderr, flush=True)
        else:
            done = f"indexed the build for queries in {seconds:.1f}s"
            print("\r" + done.ljust(len(_INDEXING)), file=sys.stderr, flush=True)

    return notice


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


_VERBS = {
    "build": _build,
    "validate": _validate,
    "generate": _generate,
    "query": _query,
    "sparql": _sparql,
    "serve": _serve,
    "locate": _locate,
    "export": _export,
}
