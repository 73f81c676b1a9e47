// The annotation page's keys. They are handled here rather than by Blazor's @onkeydown for two reasons: the browser's
// own meaning of Ctrl+S (save the page) must be stopped for that key alone, and a submission must take the textarea's
// text as it is at the key press (its change event has not fired yet while the annotator is still typing in it).
export function listen(area, page) {
    const text = () => area.querySelector('#annotation-text')?.value ?? '';
    const handler = event => {
        if (!(event.ctrlKey || event.metaKey) || event.altKey) return;
        const key = event.key.toLowerCase();
        if (key === 'enter' && !event.shiftKey) page.invokeMethodAsync('SubmitFromKeyboard', text());
        else if (key === 's' && !event.shiftKey) page.invokeMethodAsync('SkipFromKeyboard');
        else if (key === 'f' && event.shiftKey) page.invokeMethodAsync('FlagFromKeyboard', text());
        else return;
        event.preventDefault();
    };
    area.addEventListener('keydown', handler);
    return { dispose: () => area.removeEventListener('keydown', handler) };
}
