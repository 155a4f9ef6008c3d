# -*- coding: utf-8 -*-
# Copyright: (c) 2026, vmkfabric.vsphere contributors
# GNU General Public License v3.0+ (see LICENSES/GPL-3.0-or-later.txt or https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers to look into the canonical documents modules return."""

from __future__ import annotations

from typing import Any, Dict, Optional

HOSTS = ("esx01.lab.local", "esx02.lab.local", "esx03.lab.local", "esx04.lab.local")


def vmk_of(result: Dict[str, Any], host: str, portgroup: str) -> Optional[Dict[str, Any]]:
    """The vmk on ``portgroup`` in a result's ``after`` document of ``host``."""
    for vmk in result["after"][host]["vmknics"]:
        if vmk["portgroup"] == portgroup:
            return vmk
    return None


def portgroup_of(doc: Dict[str, Any], name: str) -> Optional[Dict[str, Any]]:
    for pg in doc["portgroups"]:
        if pg["name"] == name:
            return pg
    return None
