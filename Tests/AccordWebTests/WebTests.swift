import Testing

// Placeholder removed once the web tests land in this file.
