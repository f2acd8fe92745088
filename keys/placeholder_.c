/* Placeholder so the keys library has a translation unit. */
int keys_placeholder_;
