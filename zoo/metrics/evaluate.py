"""Entry point of ``python -m zoo.metrics.evaluate``; the command itself lives in ``zoo.metrics.report``.

It is kept apart because importing a module named ``zoo.metrics.evaluate`` would rebind the attribute
``zoo.metrics.evaluate`` from the ``evaluate`` function to the module.
"""

if __name__ == "__main__":
    from zoo.metrics.report import main

    raise SystemExit(main())
