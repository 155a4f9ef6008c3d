# Offline stand-in for ansible-test's pip bootstrap script (get-pip.py).
#
# ansible-test bootstraps pip into every venv it creates by running a get-pip.py it downloads
# from a host this project's machines cannot reach (ansible/ansible#77304). It first looks for a
# cached copy at ~/.ansible/test/cache/get_pip_<version>.py; `make sanity` installs this file
# there. It bootstraps pip with the interpreter's own ensurepip, then installs the packages
# ansible-test asked for (pip==<version>, ...) with that pip, using the machine's normal pip
# configuration (index, certificate bundle) that ensurepip hides while it runs.
"""Bootstrap pip with ensurepip, then pip-install the requested packages."""

import ensurepip
import os
import subprocess
import sys

DROPPED = {"--no-setuptools", "--no-wheel"}


def main():
    saved = dict(os.environ)
    ensurepip.bootstrap(upgrade=True)
    os.environ.clear()
    os.environ.update(saved)
    args = [a for a in sys.argv[1:] if a not in DROPPED]
    if any(not a.startswith("-") for a in args):
        subprocess.check_call([sys.executable, "-m", "pip", "install", "--quiet"] + args)


if __name__ == "__main__":
    main()
