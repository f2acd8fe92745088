/* Placeholder so the dnscheck library has a translation unit. */
int dnscheck_placeholder_;
