# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Connection options shared by every module (mirrors ``_client.CONNECTION_ARGSPEC``)."""

from __future__ import annotations


class ModuleDocFragment:

    DOCUMENTATION = r"""
options:
  hostname:
    description:
      - The vCenter Server or ESXi host to connect to (name or IP address).
      - If not set, the value of the E(VMWARE_HOST) environment variable is used.
    type: str
    required: true
  username:
    description:
      - The user to log in as.
      - If not set, the value of the E(VMWARE_USER) environment variable is used.
    type: str
    required: true
  password:
    description:
      - The password of O(username). Never shown in output or logs.
      - If not set, the value of the E(VMWARE_PASSWORD) environment variable is used.
    type: str
    required: true
  port:
    description:
      - The HTTPS port of the vSphere API.
      - If not set, the value of the E(VMWARE_PORT) environment variable is used.
    type: int
    default: 443
  validate_certs:
    description:
      - Verify the server's TLS certificate against the system trust store, or against O(ca_path) when set.
      - Set to V(false) only for lab systems with self-signed certificates; the connection is then not protected
        against interception.
      - If not set, the value of the E(VMWARE_VALIDATE_CERTS) environment variable is used. The VMware credential of
        AWX and Ansible Automation Platform sets that variable from the controller's own setting, which is
        C(False) unless changed; set O(validate_certs=true) in the task or in C(module_defaults) to verify anyway.
    type: bool
    default: true
  ca_path:
    description:
      - A PEM file with the CA certificate(s) that signed the server's certificate, used instead of the system
        trust store when O(validate_certs=true).
      - Without it, Python's default trust store is used, which is the system bundle or the file named by the
        E(SSL_CERT_FILE) environment variable (a directory by E(SSL_CERT_DIR)). E(REQUESTS_CA_BUNDLE) is not read.
    type: path
  proxy_host:
    description:
      - An HTTPS proxy to tunnel the connection through.
      - If not set, the value of the E(VMWARE_PROXY_HOST) environment variable is used.
    type: str
  proxy_port:
    description:
      - The port of O(proxy_host). 80 when O(proxy_host) is set and this is not.
      - If not set, the value of the E(VMWARE_PROXY_PORT) environment variable is used.
    type: int
notes:
  - The E(VMWARE_*) environment variables are what the VMware credential type of AWX and Ansible Automation
    Platform injects, so job templates need no connection options in the task.
  - One login per task run; the session is logged out at the end, also on failure.
  - Requires pyVmomi on the host that runs the module (usually the controller, with C(delegate_to=localhost)).
  - "With ansible-core 2.19 or 2.20, a task whose connection is C(local) and whose C(ansible_python_interpreter) is
    ansible-playbook's own Python (the collection's inventories set C({{ ansible_playbook_python }})) runs the module
    inside ansible-playbook's worker process for that task instead of starting a module process: the same module
    code, arguments, check/diff/no_log flags, environment and result, about half a second less per task. Another
    interpreter, another connection, C(async), C(become) or another ansible-core release run the module as its own process."
requirements:
  - pyVmomi >= 9.0, < 10 (the collection's requirements.txt)
"""
