// A fitness module that throws while loading.
throw new Error('this module cannot be loaded');
