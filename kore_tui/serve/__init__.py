"""The console in a browser, through textual-serve (the ``serve`` extra).

textual-serve has no authentication and every visitor's console runs as the serving
user, with that user's environment (and so its API keys). What makes it safe to use:

- ``policy``: only a console that cannot change the platform is served (the demo, or a
  read-only environment), and the read-only mode is on the console process's command line;
- ``guard``: loopback only, a secret token in every path, the Host and Origin checked;
- ``server``: textual-serve with those rules, one console process per visit, no shell;
- ``console``: the process a visit runs (demo or read-only), with ``locked``: the console
  without what would touch the serving user's files or environments.
"""
