"""The families of ops: a spec type each (``base.Spec`` says what every family provides), from
which the registry's entries build their functions, modules, checks, benchmarks and audit
cases."""
