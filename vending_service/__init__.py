"""The vending machine: sells cat pictures to bearers of a valid access token."""
