"""quotemaild: turns e-mail sent to a tenant's proposals address into quote requests."""

__version__ = "0.1.0"
