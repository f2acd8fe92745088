/* Placeholder so the relayd library has a translation unit. */
int relayd_placeholder_;
