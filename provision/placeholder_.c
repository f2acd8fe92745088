/* Placeholder so the provision library has a translation unit. */
int provision_placeholder_;
