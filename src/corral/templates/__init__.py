"""Templates: a read-only base a sandbox of the native tiers starts from.

A template is made once, by a set-up script run in a sandbox (:func:`build`) or from an
OCI image archive (:func:`import_image`), and kept under ``$CORRAL_HOME/templates/NAME/``;
``Sandbox(backend="bwrap"|"gvisor", template=NAME)`` then starts from it with a private
copy-on-write layer (:func:`rootfs_for`, called by the tiers), so any number of sandboxes
share one base and none sees another's changes.
"""

from __future__ import annotations

from .build import build
from .mounts import BuildLayer, RootFs, rootfs_for
from .oci import import_image
from .store import (
    Template,
    TemplateBusy,
    TemplateError,
    TemplateExists,
    TemplateInfo,
    TemplateNotFound,
    get,
    list_templates,
    remove,
    templates_dir,
    validate_name,
)

__all__ = [
    "BuildLayer",
    "RootFs",
    "Template",
    "TemplateBusy",
    "TemplateError",
    "TemplateExists",
    "TemplateInfo",
    "TemplateNotFound",
    "build",
    "get",
    "import_image",
    "list_templates",
    "remove",
    "rootfs_for",
    "templates_dir",
    "validate_name",
]
