"""Reusable test infrastructure: free ports, real Postfix / Dovecot instances, capture servers."""
