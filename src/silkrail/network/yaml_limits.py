"""Where a YAML document nests too deeply to be read: for a file:line message, not a traceback."""

from __future__ import annotations

import yaml

from silkrail.errors import DataError

MAX_NESTING = 32  # curated data and scenarios nest five levels at most

_OPEN = (
    yaml.BlockMappingStartToken,
    yaml.BlockSequenceStartToken,
    yaml.FlowMappingStartToken,
    yaml.FlowSequenceStartToken,
)
_CLOSE = (yaml.BlockEndToken, yaml.FlowMappingEndToken, yaml.FlowSequenceEndToken)


def too_deep(text: str, file: str) -> DataError:
    """The error for a document that nests beyond what the loader can read, naming the line where
    it passes MAX_NESTING levels (found by the scanner, which keeps no call stack per level)."""
    depth, line = 0, None
    try:
        for token in yaml.scan(text, Loader=yaml.SafeLoader):
            if isinstance(token, _OPEN):
                depth += 1
                if depth > MAX_NESTING:
                    line = token.start_mark.line + 1
                    break
            elif isinstance(token, _CLOSE):
                depth -= 1
    except (yaml.YAMLError, RecursionError):
        pass
    return DataError(
        f"the YAML nests deeper than {MAX_NESTING} levels; its records nest a few levels at most",
        file=file,
        line=line,
    )
