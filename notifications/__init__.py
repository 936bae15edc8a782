"""Outbound messages: transports behind one outbox (Slack and the console for chat), one delivery
path (`delivery.deliver`), and the pure builders of what a message says."""
