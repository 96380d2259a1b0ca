"""The `policy-builder` subcommands, a module per family: `policy_builder.cli` names them in its table and
imports one only when it runs, so `policy-builder --help` loads none of them."""
