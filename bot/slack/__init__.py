"""The Slack channel: slash command, mentions, direct messages and button presses in; replies posted and
edited through the Web API. Socket Mode and the HTTP Events API (`POST /slack/events`) both work."""
