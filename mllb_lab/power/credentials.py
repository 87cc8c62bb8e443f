"""Where a power controller's password comes from: an environment variable, or a file
encrypted with ansible-vault (vault password from $ANSIBLE_VAULT_PASSWORD_FILE, as Ansible
itself reads it). The password is never taken from the inventory in clear text, never put on a
command line and never written to a log or artifact."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from mllb_lab.errors import UserError

VAULT_PASSWORD_ENV = "ANSIBLE_VAULT_PASSWORD_FILE"


def from_env(name: str, field: str) -> str:
    value = os.environ.get(name)
    if not value:
        raise UserError(field, f"the environment variable {name} is not set", f"export {name}")
    return value


def from_vault(path: Path, field: str) -> str:
    from ansible.parsing.vault import AnsibleVaultError, VaultLib, VaultSecret

    if not path.is_file():
        raise UserError(field, f"{path} does not exist", "create it with ansible-vault encrypt")
    pw_file = os.environ.get(VAULT_PASSWORD_ENV)
    if not pw_file or not Path(pw_file).is_file():
        raise UserError(
            field, f"${VAULT_PASSWORD_ENV} does not name a file", "point it at the vault password"
        )
    secret = VaultSecret(Path(pw_file).read_bytes().strip())
    try:
        plain = VaultLib([("default", secret)]).decrypt(path.read_bytes())
    except AnsibleVaultError:
        raise UserError(field, f"{path} does not decrypt", "check the vault password") from None
    return plain.decode().strip()


def password(spec: dict[str, Any], field: str, base: Path) -> str:
    """mllb_power.password_env or .password_vault_file (relative to the inventory)."""
    if "password" in spec:
        raise UserError(
            f"{field}.password",
            "a clear-text password in the inventory is refused",
            "use password_env: VAR or password_vault_file: FILE (ansible-vault)",
        )
    if spec.get("password_env"):
        return from_env(str(spec["password_env"]), f"{field}.password_env")
    if spec.get("password_vault_file"):
        path = Path(str(spec["password_vault_file"])).expanduser()
        return from_vault(
            path if path.is_absolute() else base / path, f"{field}.password_vault_file"
        )
    raise UserError(field, "no password source", "set password_env or password_vault_file")


def scrub(text: str, secret: str) -> str:
    return text.replace(secret, "***") if secret else text
