"""Host names that mean this machine, shared by the client, the settings and the sandbox."""

import ipaddress


def is_loopback_host(host: str) -> bool:
    """Return whether ``host`` is ``localhost`` or a loopback address, bracketed IPv6 too."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
