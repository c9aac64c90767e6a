"""Twilio: pages by SMS and phone call (client), and the webhooks Twilio calls back (SMS replies, keypresses,
delivery status). The only package of opsbot that imports the twilio SDK, the loopback fake aside."""
