# OAuth (msal) and webhook routes arrive with the Microsoft Graph sync.
